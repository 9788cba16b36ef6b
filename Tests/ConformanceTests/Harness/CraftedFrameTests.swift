import FlexWire
import Testing

/// The harness's byte surgery produces frames a correct stack must take as well-formed: valid IPv4
/// and TCP checksums, and fragments that put the original datagram back together. (Otherwise a
/// conformance test could pass or fail for the harness's fault.)
@Suite("Conformance harness: crafted frames")
struct CraftedFrameTests {
    let script: ConformanceScript
    init() throws { script = try ConformanceScript() }

    private func checksumsValid(_ frame: [UInt8]) -> Bool {
        frame.withUnsafeBytes { bytes in
            let ip = bytes.baseAddress! + CraftedFrame.ipOffset
            let headerLength = Int(bytes[CraftedFrame.ipOffset] & 0x0f) * 4
            let total = Int(bytes[CraftedFrame.ipOffset + 2]) << 8 | Int(bytes[CraftedFrame.ipOffset + 3])
            return InternetChecksum.checksum(ip, count: headerLength) == 0
                && InternetChecksum.transportChecksum(ip + headerLength, length: total - headerLength,
                                                      source: ConformanceScript.peerAddress, destination: ConformanceScript.ourAddress,
                                                      protocolNumber: .tcp) == 0
        }
    }

    @Test("Raw (malformed) TCP options: data offset covers them and the checksum is valid")
    func rawOptions() throws {
        let frame = try script.frame(.syn, seq: 5000, payload: [9, 9], rawOptions: [8, 255, 0, 0, 1, 0, 0, 0, 0, 0])
        #expect(frame[CraftedFrame.ipOffset + 20 + 12] >> 4 == 8)
        #expect(Array(frame.suffix(2)) == [9, 9] && checksumsValid(frame))
    }

    @Test("IPv4 options: header length and total length grow, both checksums stay valid")
    func ipOptions() throws {
        let plain = try script.frame(.ack, seq: 1, payload: [1, 2, 3])
        let frame = try script.frame(.ack, seq: 1, payload: [1, 2, 3], ipOptions: [1, 1, 1, 0])
        #expect(frame.count == plain.count + 4 && frame[CraftedFrame.ipOffset] == 0x46 && checksumsValid(frame))
    }

    @Test("Fragments carry the datagram's payload at their offsets, MF on all but the last, valid header checksums")
    func fragments() throws {
        let frame = try script.frame(.ack, seq: 1, payload: ConformanceScript.bytes(40))
        let pieces = CraftedFrame.fragments(of: frame, splitAt: [16, 40])
        var reassembled: [UInt8] = []
        for (index, piece) in pieces.enumerated() {
            let flagsAndOffset = Int(piece[CraftedFrame.ipOffset + 6]) << 8 | Int(piece[CraftedFrame.ipOffset + 7])
            #expect((flagsAndOffset & 0x2000 != 0) == (index < pieces.count - 1))
            #expect((flagsAndOffset & 0x1fff) * 8 == reassembled.count)
            #expect(piece.withUnsafeBytes { InternetChecksum.checksum($0.baseAddress! + CraftedFrame.ipOffset, count: 20) } == 0)
            reassembled += piece[(CraftedFrame.ipOffset + 20)...]
        }
        #expect(reassembled == Array(frame[(CraftedFrame.ipOffset + 20)...]))
    }
}
