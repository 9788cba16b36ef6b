import Testing

/// Frames the Linux kernel sent, captured once with tshark on a veth pair joining two private network
/// namespaces (198.18.0.1, MAC 02:00:00:00:00:0a ↔ 198.18.0.2, MAC 02:00:00:00:00:0b), with transmit
/// checksum offload turned off (`ethtool -K … tx off`) so every checksum is complete. (On `lo` the
/// generic transmit checksum offload is fixed on, which leaves partial TCP/UDP checksums.)
/// Traffic: `ping -c1`, a Python TCP exchange to port 40000, one UDP datagram to port 40001.
enum CapturedFrames {
    static let arpRequest = [UInt8](hex: """
        ffffffffffff02000000000a0806000108000604000102000000000ac6120001000000000000c6120002
        """)
    static let arpReply = [UInt8](hex: """
        02000000000a02000000000b0806000108000604000202000000000bc612000202000000000ac6120001
        """)
    static let echoRequest = [UInt8](hex: """
        02000000000b02000000000a08004500005439c24000400174bfc6120001c61200020800e4991700000110fc016b\
        00000000202b0b0000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031\
        323334353637
        """)
    static let echoReply = [UInt8](hex: """
        02000000000a02000000000b0800450000545212000040019c6fc6120002c61200010000ec991700000110fc016b\
        00000000202b0b0000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031\
        323334353637
        """)
    /// SYN: MSS 1460, SACK-permitted, timestamps, window scale 10.
    static let tcpSyn = [UInt8](hex: """
        02000000000b02000000000a08004500003c6008400040064e8cc6120001c6120002b4f89c403673388f00000000\
        a002faf0990e0000020405b40402080a8410e389000000000103030a
        """)
    static let tcpSynAck = [UInt8](hex: """
        02000000000a02000000000b08004500003c000040004006ae94c6120002c61200019c40b4f8f8648c0c36733890\
        a012fe887d910000020405b40402080ae31bb0468410e3890103030a
        """)
    static let tcpAck = [UInt8](hex: """
        02000000000b02000000000a0800450000346009400040064e93c6120001c6120002b4f89c4036733890f8648c0d\
        8010003faaaa00000101080a8410e389e31bb046
        """)
    /// PSH+ACK carrying "hello flexwire".
    static let tcpData = [UInt8](hex: """
        02000000000b02000000000a080045000042600a400040064e84c6120001c6120002b4f89c4036733890f8648c0d\
        8018003fb0ee00000101080a8410e389e31bb04668656c6c6f20666c657877697265
        """)
    /// PSH+ACK carrying "pong:hello flexwire" (odd length).
    static let tcpReplyData = [UInt8](hex: """
        02000000000a02000000000b0800450000479321400040061b68c6120002c61200019c40b4f8f8648c0d3673389e\
        80180040ebaf00000101080ae31bb0468410e389706f6e673a68656c6c6f20666c657877697265
        """)
    static let tcpFin = [UInt8](hex: """
        02000000000a02000000000b0800450000349322400040061b7ac6120002c61200019c40b4f8f8648c203673389e\
        80110040aa8700000101080ae31bb0468410e389
        """)
    /// "udp datagram!" (odd length).
    static let udpDatagram = [UInt8](hex: """
        02000000000b02000000000a080045000029d1de40004011dcbdc6120001c6120002c8569c41001566dc75647020\
        646174616772616d21
        """)
    /// An IPv6 neighbour solicitation: an EtherType FlexWire recognises but does not parse.
    static let ipv6NeighborSolicitation = [UInt8](hex: """
        3333ff00000b02000000000b86dd6000000000203aff00000000000000000000000000000000ff02000000000000\
        00000001ff00000b870078e900000000fe80000000000000000000fffe00000b0e01e7fc73329aef
        """)

    static let all: [CapturedFrame] = [
        CapturedFrame("ARP request", arpRequest), CapturedFrame("ARP reply", arpReply),
        CapturedFrame("echo request", echoRequest), CapturedFrame("echo reply", echoReply),
        CapturedFrame("SYN", tcpSyn), CapturedFrame("SYN-ACK", tcpSynAck), CapturedFrame("ACK", tcpAck),
        CapturedFrame("data", tcpData), CapturedFrame("reply data", tcpReplyData), CapturedFrame("FIN", tcpFin),
        CapturedFrame("UDP", udpDatagram), CapturedFrame("IPv6", ipv6NeighborSolicitation),
    ]
}

/// A named captured frame (test arguments show the name, not the bytes).
struct CapturedFrame: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    init(_ name: String, _ bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }
    var testDescription: String { name }
    var isIPv4: Bool { bytes[12] == 0x08 && bytes[13] == 0x00 }
}
