import FlexPort
import FlexWire
import Testing

/// Transmit checksum offload as ports state and carry it: "verify only what the port did not;
/// compute only what the port will not".
@Suite("Transmit checksum offload")
struct TransmitChecksumOffloadTests {
    /// Sends `frame` from `sender` with `flags` and returns the flags the receiver sees on it.
    static func flagsOnArrival(_ frame: [UInt8], flags: FrameFlags, from sender: any Port, to receiver: any Port) -> FrameFlags? {
        let batch = FrameBatch(capacity: 1)
        guard sender.reserveTransmit(into: batch, count: 1) == 1 else { return nil }
        write(frame, into: batch, at: 0)
        batch[0].flags = flags
        guard sender.commitTransmit(batch) == 1, receiver.receive(into: batch) == 1 else { return nil }
        let received = batch[0].flags
        receiver.releaseReceived(batch)
        return received
    }

    @Test("a wire whose ends trust partial checksums hands partial frames over verified, others as sent")
    func trustedWire() throws {
        let wire = try MemoryWire(capacity: 8, trustsPartialChecksums: true)
        #expect(wire.a.transmitChecksumOffload == .trustedLink && wire.b.transmitChecksumOffload == .trustedLink)
        let frame = sequencedFrame(1)
        #expect(Self.flagsOnArrival(frame, flags: .checksumPartial, from: wire.a, to: wire.b) == [.checksumPartial, .checksumVerified])
        #expect(Self.flagsOnArrival(frame, flags: [], from: wire.b, to: wire.a) == [], "a frame sent complete is verified as usual")
    }

    @Test("an ordinary wire offers no offload and never marks a frame verified")
    func ordinaryWire() throws {
        let wire = try MemoryWire(capacity: 8)
        #expect(wire.a.transmitChecksumOffload == .none && wire.b.transmitChecksumOffload == .none)
        #expect(Self.flagsOnArrival(sequencedFrame(2), flags: .checksumPartial, from: wire.a, to: wire.b) == .checksumPartial)
    }

    @Test("the pcap recorder and the link emulator offer no offload, whatever they wrap")
    func wrappersOfferNoOffload() throws {
        let wire = try MemoryWire(capacity: 8, trustsPartialChecksums: true)
        try withTemporaryDirectory { directory in
            let recorder = PcapRecordingPort(wrapping: wire.a, writer: try PcapWriter(path: directory + "/offload.pcap"))
            #expect(recorder.transmitChecksumOffload == .none)
        }
        let emulator = LinkEmulator(wrapping: wire.b, settings: LinkEmulatorSettings(), timeSource: VirtualTimeSource())
        #expect(emulator.transmitChecksumOffload == .none)
    }

    /// An untagged IPv4 frame with a 20-byte header carrying `protocolNumber`, `length` bytes long.
    static func ipv4Frame(protocolNumber: UInt8, length: Int = 60) -> [UInt8] {
        var frame = [UInt8](repeating: 0, count: length)
        frame[12] = 0x08
        frame[13] = 0x00
        frame[14] = 0x45
        frame[14 + 9] = protocolNumber
        return frame
    }

    @Test("the TCP checksum position of a frame is found only for IPv4 TCP frames that hold the field")
    func checksumPosition() {
        func position(_ bytes: [UInt8]) -> [Int]? {
            var copy = bytes
            return copy.withUnsafeMutableBytes { buffer in
                Frame(bytes: buffer.baseAddress!, length: buffer.count, capacity: buffer.count).tcpChecksumPosition.map { [$0.start, $0.offset] }
            }
        }
        #expect(position(Self.ipv4Frame(protocolNumber: IPProtocol.tcp.rawValue)) == [34, 16])
        var withOptions = Self.ipv4Frame(protocolNumber: IPProtocol.tcp.rawValue, length: 80)
        withOptions[14] = 0x46
        #expect(position(withOptions) == [38, 16])
        #expect(position(Self.ipv4Frame(protocolNumber: IPProtocol.udp.rawValue)) == nil)
        #expect(position(Self.ipv4Frame(protocolNumber: IPProtocol.tcp.rawValue, length: 51)) == nil, "too short for the field")
        var arp = Self.ipv4Frame(protocolNumber: IPProtocol.tcp.rawValue)
        arp[13] = 0x06
        #expect(position(arp) == nil)
        var badVersion = Self.ipv4Frame(protocolNumber: IPProtocol.tcp.rawValue)
        badVersion[14] = 0x65
        #expect(position(badVersion) == nil)
    }
}
