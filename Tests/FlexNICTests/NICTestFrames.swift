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
        try MemcachedUDPFrame.request(opcode: opcode, key: key, extras: extras, source: client, destination: server)
    }

    /// A DCCP-like packet in an Ethernet frame (IPv4 protocol 33), emitted by `DCCPLikeFrame`.
    static func dccp(from source: IPv4Address = client, to destination: IPv4Address = server,
                     macs: (MACAddress, MACAddress) = (clientMAC, serverMAC), ports: (UInt16, UInt16), type: UInt8,
                     sequence: UInt64, acknowledgment: UInt64 = 0, payload: [UInt8] = []) throws -> [UInt8] {
        try DCCPLikeFrame(sourceMAC: macs.0, destinationMAC: macs.1, source: source, destination: destination, sourcePort: ports.0,
                          destinationPort: ports.1, type: type, sequence: sequence, acknowledgment: acknowledgment, identification: 9)
            .frame(payload: payload)
    }
}
