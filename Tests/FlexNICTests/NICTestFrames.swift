import FlexNIC
import FlexWire

/// Real frames for the FlexNIC tests, emitted with FlexWire's representations.
enum NICTestFrames {
    static let clientMAC = MACAddress(0x02, 0, 0, 0, 0, 0x0a)
    static let serverMAC = MACAddress(0x02, 0, 0, 0, 0, 0x0b)
    static let client = IPv4Address(198, 18, 0, 1)
    static let server = IPv4Address(198, 18, 0, 2)

    static func ethernet(from source: MACAddress = clientMAC, to destination: MACAddress = serverMAC, vlan: VLANTag? = nil) -> EthernetRepr {
        EthernetRepr(destination: destination, source: source, etherType: .ipv4, vlanTag: vlan)
    }

    static func tcp(from source: IPv4Address = client, to destination: IPv4Address = server, ports: (UInt16, UInt16),
                    sequence: UInt32 = 1_000, payload: [UInt8] = [], vlan: VLANTag? = nil) throws -> [UInt8] {
        let ip = IPv4Repr(source: source, destination: destination, protocolNumber: .tcp, payloadLength: 0, identification: 7)
        let segment = TCPSegmentRepr(sourcePort: ports.0, destinationPort: ports.1, sequenceNumber: SequenceNumber(sequence),
                                     acknowledgmentNumber: SequenceNumber(1), flags: [.ack], window: 512)
        return try FrameHeaders(ethernet: ethernet(vlan: vlan), network: .ipv4(ip, .tcp(segment))).frame(payload: payload)
    }

    static func udp(from source: IPv4Address = client, to destination: IPv4Address = server, ports: (UInt16, UInt16),
                    payload: [UInt8] = []) throws -> [UInt8] {
        let ip = IPv4Repr(source: source, destination: destination, protocolNumber: .udp, payloadLength: 0, identification: 7)
        return try FrameHeaders(ethernet: ethernet(), network: .ipv4(ip, .udp(UDPRepr(sourcePort: ports.0, destinationPort: ports.1))))
            .frame(payload: payload)
    }

    /// A memcached binary request over UDP (frame header, 24-byte header, no extras, `key`).
    static func memcachedUDP(opcode: UInt8, key: [UInt8], extras: [UInt8] = []) throws -> [UInt8] {
        var message: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0]
        var header = [UInt8](repeating: 0, count: 24)
        header[0] = 0x80
        header[1] = opcode
        header[2] = UInt8(key.count >> 8)
        header[3] = UInt8(key.count & 0xff)
        header[4] = UInt8(extras.count)
        let body = UInt32(extras.count + key.count)
        for index in 0..<4 { header[8 + index] = UInt8(truncatingIfNeeded: body >> UInt32(24 - 8 * index)) }
        message += header + extras + key
        return try udp(ports: (40_000, UInt16(StandardParseGraph.memcachedPort)), payload: message)
    }

    /// A 24-byte DCCP-like header (RFC 4340 generic header with 48-bit numbers, then the ACK
    /// subheader) with its checksum over the IPv4 pseudo-header, header and payload.
    static func dccpHeader(ports: (UInt16, UInt16), type: UInt8, sequence: UInt64, acknowledgment: UInt64,
                           source: IPv4Address, destination: IPv4Address, payload: [UInt8]) -> [UInt8] {
        var header = [UInt8](repeating: 0, count: 24)
        header[0] = UInt8(ports.0 >> 8); header[1] = UInt8(ports.0 & 0xff)
        header[2] = UInt8(ports.1 >> 8); header[3] = UInt8(ports.1 & 0xff)
        header[4] = 6
        header[8] = type << 1 | 1
        for index in 0..<6 {
            header[10 + index] = UInt8(truncatingIfNeeded: sequence >> UInt64(40 - 8 * index))
            header[18 + index] = UInt8(truncatingIfNeeded: acknowledgment >> UInt64(40 - 8 * index))
        }
        let segment = header + payload
        let checksum = segment.withUnsafeBytes {
            InternetChecksum.transportChecksum($0.baseAddress!, length: segment.count, source: source, destination: destination,
                                               protocolNumber: IPProtocol(rawValue: UInt8(StandardParseGraph.dccpProtocol)))
        }
        header[6] = UInt8(checksum >> 8)
        header[7] = UInt8(checksum & 0xff)
        return header
    }

    /// A DCCP-like packet in an Ethernet frame (IPv4 protocol 33; FlexWire emits Ethernet and IPv4).
    static func dccp(from source: IPv4Address = client, to destination: IPv4Address = server,
                     macs: (MACAddress, MACAddress) = (clientMAC, serverMAC), ports: (UInt16, UInt16), type: UInt8,
                     sequence: UInt64, acknowledgment: UInt64 = 0, payload: [UInt8] = [], ttl: UInt8 = 64) throws -> [UInt8] {
        let header = dccpHeader(ports: ports, type: type, sequence: sequence, acknowledgment: acknowledgment,
                                source: source, destination: destination, payload: payload)
        let ip = IPv4Repr(source: source, destination: destination, protocolNumber: IPProtocol(rawValue: UInt8(StandardParseGraph.dccpProtocol)),
                          payloadLength: header.count + payload.count, timeToLive: ttl, identification: 9)
        let ethernet = EthernetRepr(destination: macs.1, source: macs.0, etherType: .ipv4)
        var frame = [UInt8](repeating: 0, count: 14 + 20)
        try frame.withUnsafeMutableBytes { buffer in
            let ethernetLength = try ethernet.emit(into: buffer)
            _ = try ip.emit(into: UnsafeMutableRawBufferPointer(rebasing: buffer[ethernetLength...]))
        }
        return frame + header + payload
    }
}
