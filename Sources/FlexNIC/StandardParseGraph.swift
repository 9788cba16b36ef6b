/// The parse graph the standard building blocks use: Ethernet → VLAN → IPv4 → TCP / UDP / DCCP-like →
/// memcached (binary, and its UDP frame header), NVMe/TCP PDU common header, object header.
///
/// Application headers are recognised by port: memcached on 11211 (either port), NVMe/TCP on 4420
/// (TCP), objects on UDP 9000. The DCCP-like header (IP protocol 33) is RFC 4340's generic header with
/// 48-bit sequence numbers followed by the acknowledgement subheader, always present (24 bytes).
public enum StandardParseGraph {
    public static let memcachedPort: UInt64 = 11211
    public static let nvmeTCPPort: UInt64 = 4420
    public static let objectPort: UInt64 = 9000
    public static let dccpProtocol: UInt64 = 33
    /// DCCP packet types (RFC 4340 §5.1).
    public static let dccpData: UInt64 = 2
    public static let dccpAck: UInt64 = 3

    /// The whole graph, starting at Ethernet.
    public static let graph = ParseGraph(start: "ethernet", headers: [
        ethernet, vlan, ipv4, tcp, udp, dccp, memcachedUDP, memcached, nvmeTCP, object,
    ])

    static let ethernet = HeaderDeclaration("ethernet", length: .fixed(14), fields: [
        FieldDeclaration("destination", at: 0, bytes: 6), FieldDeclaration("source", at: 6, bytes: 6),
        FieldDeclaration("ether_type", at: 12, bytes: 2),
    ], transitions: [
        HeaderTransition(when: "ether_type", is: 0x8100, then: "vlan"),
        HeaderTransition(when: "ether_type", is: 0x0800, then: "ipv4"),
    ])

    static let vlan = HeaderDeclaration("vlan", length: .fixed(4), fields: [
        FieldDeclaration("priority", at: 0, bytes: 2, shift: 13, bits: 3),
        FieldDeclaration("id", at: 0, bytes: 2, bits: 12), FieldDeclaration("ether_type", at: 2, bytes: 2),
    ], transitions: [HeaderTransition(when: "ether_type", is: 0x0800, then: "ipv4")])

    static let ipv4 = HeaderDeclaration("ipv4", length: .variable(field: "ihl", unitBytes: 4, minimum: 20, maximum: 60), fields: [
        FieldDeclaration("version", at: 0, bytes: 1, shift: 4, bits: 4), FieldDeclaration("ihl", at: 0, bytes: 1, bits: 4),
        FieldDeclaration("dscp", at: 1, bytes: 1, shift: 2, bits: 6), FieldDeclaration("ecn", at: 1, bytes: 1, bits: 2),
        FieldDeclaration("total_length", at: 2, bytes: 2), FieldDeclaration("identification", at: 4, bytes: 2),
        FieldDeclaration("fragment", at: 6, bytes: 2), FieldDeclaration("ttl", at: 8, bytes: 1),
        FieldDeclaration("protocol", at: 9, bytes: 1), FieldDeclaration("checksum", at: 10, bytes: 2),
        FieldDeclaration("source", at: 12, bytes: 4), FieldDeclaration("destination", at: 16, bytes: 4),
    ], transitions: [
        HeaderTransition(when: "protocol", is: 6, then: "tcp"), HeaderTransition(when: "protocol", is: 17, then: "udp"),
        HeaderTransition(when: "protocol", is: dccpProtocol, then: "dccp"),
    ])

    static let tcp = HeaderDeclaration("tcp", length: .variable(field: "data_offset", unitBytes: 4, minimum: 20, maximum: 60), fields: [
        FieldDeclaration("source_port", at: 0, bytes: 2), FieldDeclaration("destination_port", at: 2, bytes: 2),
        FieldDeclaration("sequence", at: 4, bytes: 4), FieldDeclaration("acknowledgment", at: 8, bytes: 4),
        FieldDeclaration("data_offset", at: 12, bytes: 1, shift: 4, bits: 4), FieldDeclaration("flags", at: 13, bytes: 1),
        FieldDeclaration("window", at: 14, bytes: 2), FieldDeclaration("checksum", at: 16, bytes: 2),
    ], transitions: [
        HeaderTransition(when: "destination_port", is: memcachedPort, then: "memcached"),
        HeaderTransition(when: "source_port", is: memcachedPort, then: "memcached"),
        HeaderTransition(when: "destination_port", is: nvmeTCPPort, then: "nvme_tcp"),
        HeaderTransition(when: "source_port", is: nvmeTCPPort, then: "nvme_tcp"),
    ])

    static let udp = HeaderDeclaration("udp", length: .fixed(8), fields: [
        FieldDeclaration("source_port", at: 0, bytes: 2), FieldDeclaration("destination_port", at: 2, bytes: 2),
        FieldDeclaration("length", at: 4, bytes: 2), FieldDeclaration("checksum", at: 6, bytes: 2),
    ], transitions: [
        HeaderTransition(when: "destination_port", is: memcachedPort, then: "memcached_udp"),
        HeaderTransition(when: "source_port", is: memcachedPort, then: "memcached_udp"),
        HeaderTransition(when: "destination_port", is: objectPort, then: "object"),
    ])

    static let dccp = HeaderDeclaration("dccp", length: .fixed(24), fields: [
        FieldDeclaration("source_port", at: 0, bytes: 2), FieldDeclaration("destination_port", at: 2, bytes: 2),
        FieldDeclaration("data_offset", at: 4, bytes: 1), FieldDeclaration("checksum", at: 6, bytes: 2),
        FieldDeclaration("type", at: 8, bytes: 1, shift: 1, bits: 4), FieldDeclaration("extended", at: 8, bytes: 1, bits: 1),
        FieldDeclaration("sequence", at: 10, bytes: 6), FieldDeclaration("acknowledgment", at: 18, bytes: 6),
    ])

    static let memcachedUDP = HeaderDeclaration("memcached_udp", length: .fixed(8), fields: [
        FieldDeclaration("request_id", at: 0, bytes: 2), FieldDeclaration("sequence", at: 2, bytes: 2),
        FieldDeclaration("datagrams", at: 4, bytes: 2),
    ], transitions: [HeaderTransition(when: "datagrams", is: 1, then: "memcached")])

    static let memcached = HeaderDeclaration("memcached", length: .fixed(24), fields: [
        FieldDeclaration("magic", at: 0, bytes: 1), FieldDeclaration("opcode", at: 1, bytes: 1),
        FieldDeclaration("key_length", at: 2, bytes: 2), FieldDeclaration("extras_length", at: 4, bytes: 1),
        FieldDeclaration("vbucket", at: 6, bytes: 2), FieldDeclaration("body_length", at: 8, bytes: 4),
        FieldDeclaration("opaque", at: 12, bytes: 4), FieldDeclaration("cas", at: 16, bytes: 8),
    ])

    /// The NVMe/TCP common header; its length is the PDU header length `header_length` (8…128 here).
    static let nvmeTCP = HeaderDeclaration("nvme_tcp", length: .variable(field: "header_length", unitBytes: 1, minimum: 8, maximum: 128), fields: [
        FieldDeclaration("pdu_type", at: 0, bytes: 1), FieldDeclaration("flags", at: 1, bytes: 1),
        FieldDeclaration("header_length", at: 2, bytes: 1), FieldDeclaration("data_offset", at: 3, bytes: 1),
        FieldDeclaration("pdu_length", at: 4, bytes: 4, byteOrder: .littleEndian),
    ])

    static let object = HeaderDeclaration("object", length: .fixed(12), fields: [
        FieldDeclaration("kind", at: 0, bytes: 2), FieldDeclaration("flags", at: 2, bytes: 2),
        FieldDeclaration("key", at: 4, bytes: 4), FieldDeclaration("length", at: 8, bytes: 4),
    ])
}
