import FlexWire

/// Emits Ethernet frames carrying one memcached binary request over UDP (8-byte frame header with
/// datagram count 1, 24-byte binary header, extras, key, value), to `StandardParseGraph.memcachedPort`:
/// what the key-steering program (`KeySteering`) parses, for tests, tools and benchmarks.
public enum MemcachedUDPFrame {
    /// Binary opcodes the key-steering program acts on.
    public static let getOpcode: UInt8 = 0x00
    public static let setOpcode: UInt8 = 0x01

    /// The frame of a request with `opcode`, `extras`, `key` and `value`, request id `requestID`,
    /// `opaque` and `cas` in the header; from `source`:`sourcePort` to `destination`.
    public static func request(opcode: UInt8, key: [UInt8], extras: [UInt8] = [], value: [UInt8] = [], requestID: UInt16 = 1,
                               opaque: UInt32 = 0, cas: UInt64 = 0,
                               source: IPv4Address = IPv4Address(198, 18, 0, 1), sourcePort: UInt16 = 40_000,
                               destination: IPv4Address = IPv4Address(198, 18, 0, 2)) throws(WireError) -> [UInt8] {
        var message: [UInt8] = [UInt8(requestID >> 8), UInt8(requestID & 0xFF), 0, 0, 0, 1, 0, 0]
        var header = [UInt8](repeating: 0, count: 24)
        header[0] = 0x80
        header[1] = opcode
        store(UInt64(key.count), bytes: 2, into: &header, at: 2)
        header[4] = UInt8(extras.count)
        store(UInt64(extras.count + key.count + value.count), bytes: 4, into: &header, at: 8)
        store(UInt64(opaque), bytes: 4, into: &header, at: 12)
        store(cas, bytes: 8, into: &header, at: 16)
        message += header + extras + key + value
        let ip = IPv4Repr(source: source, destination: destination, protocolNumber: .udp, payloadLength: 0, identification: 7)
        let ethernet = EthernetRepr(destination: MACAddress(0x02, 0, 0, 0, 0, 0x0b), source: MACAddress(0x02, 0, 0, 0, 0, 0x0a), etherType: .ipv4)
        let udp = UDPRepr(sourcePort: sourcePort, destinationPort: UInt16(StandardParseGraph.memcachedPort))
        return try FrameHeaders(ethernet: ethernet, network: .ipv4(ip, .udp(udp))).frame(payload: message)
    }

    /// A GET for `key`.
    public static func get(_ key: [UInt8], requestID: UInt16 = 1) throws(WireError) -> [UInt8] {
        try request(opcode: getOpcode, key: key, requestID: requestID)
    }

    /// A SET of `value` under `key` with `flags` and protocol expiry `expiry`.
    public static func set(_ key: [UInt8], value: [UInt8], flags: UInt32 = 0, expiry: UInt32 = 0, requestID: UInt16 = 1) throws(WireError) -> [UInt8] {
        var extras = [UInt8](repeating: 0, count: 8)
        store(UInt64(flags), bytes: 4, into: &extras, at: 0)
        store(UInt64(expiry), bytes: 4, into: &extras, at: 4)
        return try request(opcode: setOpcode, key: key, extras: extras, value: value, requestID: requestID)
    }

    private static func store(_ value: UInt64, bytes: Int, into buffer: inout [UInt8], at offset: Int) {
        for index in 0..<bytes { buffer[offset + index] = UInt8(truncatingIfNeeded: value >> UInt64(8 * (bytes - 1 - index))) }
    }
}
