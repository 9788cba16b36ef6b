import FlexWire

/// Byte surgery on well-formed IPv4/TCP frames for what `FrameHeaders` cannot express: malformed
/// TCP options, IPv4 options, fragments and bad checksums. Offsets assume an untagged Ethernet header.
enum CraftedFrame {
    static let ipOffset = 14

    /// Declares the first `count` payload bytes to be TCP options (growing the data offset) and
    /// fixes the TCP checksum.
    static func movingIntoTCPOptions(_ count: Int, of frame: [UInt8]) -> [UInt8] {
        var frame = frame
        let tcp = ipOffset + ipHeaderLength(frame)
        frame[tcp + 12] = UInt8((20 + count) / 4) << 4
        fillTCPChecksum(&frame)
        return frame
    }

    /// Inserts IPv4 options (a multiple of 4 bytes) after the fixed IPv4 header.
    static func insertingIPOptions(_ options: [UInt8], into frame: [UInt8]) -> [UInt8] {
        guard !options.isEmpty else { return frame }
        precondition(options.count % 4 == 0 && options.count <= 40)
        var frame = frame
        let headerLength = ipHeaderLength(frame)
        frame.insert(contentsOf: options, at: ipOffset + headerLength)
        frame[ipOffset] = 0x40 | UInt8((headerLength + options.count) / 4)
        setUInt16(&frame, at: ipOffset + 2, to: readUInt16(frame, at: ipOffset + 2) + UInt16(options.count))
        fillIPChecksum(&frame)
        return frame
    }

    /// The IPv4 datagram of `frame` cut into fragments at `splitAt` bytes of IP payload (multiples of 8).
    static func fragments(of frame: [UInt8], splitAt cuts: [Int]) -> [[UInt8]] {
        let headerLength = ipHeaderLength(frame)
        let payloadStart = ipOffset + headerLength
        let payload = Array(frame[payloadStart..<(ipOffset + Int(readUInt16(frame, at: ipOffset + 2)))])
        let bounds = [0] + cuts + [payload.count]
        return (0..<(bounds.count - 1)).map { index in
            var fragment = Array(frame[0..<payloadStart]) + payload[bounds[index]..<bounds[index + 1]]
            setUInt16(&fragment, at: ipOffset + 2, to: UInt16(headerLength + bounds[index + 1] - bounds[index]))
            let moreFragments: UInt16 = index < bounds.count - 2 ? 0x2000 : 0
            setUInt16(&fragment, at: ipOffset + 6, to: moreFragments | UInt16(bounds[index] / 8))
            fillIPChecksum(&fragment)
            return fragment
        }
    }

    /// The frame with one bit of the TCP checksum flipped.
    static func corruptingTCPChecksum(of frame: [UInt8]) -> [UInt8] {
        var frame = frame
        frame[ipOffset + ipHeaderLength(frame) + 16] ^= 0x01
        return frame
    }

    private static func ipHeaderLength(_ frame: [UInt8]) -> Int { Int(frame[ipOffset] & 0x0f) * 4 }

    private static func fillIPChecksum(_ frame: inout [UInt8]) {
        setUInt16(&frame, at: ipOffset + 10, to: 0)
        let length = ipHeaderLength(frame)
        let checksum = frame.withUnsafeBytes { InternetChecksum.checksum($0.baseAddress! + ipOffset, count: length) }
        setUInt16(&frame, at: ipOffset + 10, to: checksum)
    }

    private static func fillTCPChecksum(_ frame: inout [UInt8]) {
        let tcp = ipOffset + ipHeaderLength(frame)
        let length = ipOffset + Int(readUInt16(frame, at: ipOffset + 2)) - tcp
        setUInt16(&frame, at: tcp + 16, to: 0)
        let checksum = frame.withUnsafeBytes { bytes in
            InternetChecksum.transportChecksum(bytes.baseAddress! + tcp, length: length,
                                               source: IPv4Address(loadingFrom: bytes.baseAddress! + ipOffset + 12),
                                               destination: IPv4Address(loadingFrom: bytes.baseAddress! + ipOffset + 16),
                                               protocolNumber: .tcp)
        }
        setUInt16(&frame, at: tcp + 16, to: checksum)
    }

    private static func readUInt16(_ frame: [UInt8], at offset: Int) -> UInt16 { UInt16(frame[offset]) << 8 | UInt16(frame[offset + 1]) }

    private static func setUInt16(_ frame: inout [UInt8], at offset: Int, to value: UInt16) {
        frame[offset] = UInt8(value >> 8)
        frame[offset + 1] = UInt8(value & 0xff)
    }
}
