import FlexWire

/// Writes the Ethernet + IPv4 + TCP headers of a flow's segment in place, the per-flow "header
/// template" of the FlexTCP NIC: everything comes from the flow state, nothing is parsed.
///
/// Contract: `frame` has room for `headerLength(options:) + payloadLength` bytes; the payload must
/// already sit at `frame + headerLength`. Both checksums are filled.
@usableFromInline
enum SegmentHeaders {
    @usableFromInline static let ethernetLength = 14
    @usableFromInline static let ipv4Length = 20
    @usableFromInline static let tcpLength = 20
    @usableFromInline static let timestampOptionLength = 12

    @inlinable
    static func headerLength(options: FlowOptions) -> Int {
        ethernetLength &+ ipv4Length &+ tcpLength &+ (options.contains(.timestamps) ? timestampOptionLength : 0)
    }

    /// Returns the total frame length.
    @inlinable
    static func write(into frame: UnsafeMutableRawPointer, flow: UnsafePointer<FlowState>, localAddress: IPv4Address,
                      localMAC: MACAddress, sequence: SequenceNumber, flags: TCPFlags, payloadLength: Int,
                      timestampValue: UInt32) -> Int {
        let state = flow.pointee
        let withTimestamps = state.options.contains(.timestamps)
        let tcpHeaderLength = tcpLength &+ (withTimestamps ? timestampOptionLength : 0)
        let ipTotal = ipv4Length &+ tcpHeaderLength &+ payloadLength

        // Ethernet II.
        state.remoteMAC.store(to: frame)
        localMAC.store(to: frame + 6)
        frame.storeBytes(of: UInt16(0x0800).bigEndian, toByteOffset: 12, as: UInt16.self)

        // IPv4: version 4, IHL 5, ECT(0) when ECN was negotiated, DF, TTL 64.
        let ip = frame + ethernetLength
        ip.storeBytes(of: 0x45, as: UInt8.self)
        ip.storeBytes(of: state.options.contains(.explicitCongestionNotification) && payloadLength > 0 ? 0x02 : 0x00,
                      toByteOffset: 1, as: UInt8.self)
        ip.storeBytes(of: UInt16(truncatingIfNeeded: ipTotal).bigEndian, toByteOffset: 2, as: UInt16.self)
        ip.storeBytes(of: UInt32(0x0000_4000).bigEndian, toByteOffset: 4, as: UInt32.self)
        ip.storeBytes(of: UInt16(0x4006).bigEndian, toByteOffset: 8, as: UInt16.self)
        ip.storeBytes(of: UInt16(0), toByteOffset: 10, as: UInt16.self)
        localAddress.store(to: ip + 12)
        state.remoteAddress.store(to: ip + 16)
        ip.storeBytes(of: InternetChecksum.checksum(ip, count: ipv4Length).bigEndian, toByteOffset: 10, as: UInt16.self)

        // TCP.
        let tcp = ip + ipv4Length
        tcp.storeBytes(of: state.localPort.bigEndian, as: UInt16.self)
        tcp.storeBytes(of: state.remotePort.bigEndian, toByteOffset: 2, as: UInt16.self)
        tcp.storeBytes(of: sequence.rawValue.bigEndian, toByteOffset: 4, as: UInt32.self)
        tcp.storeBytes(of: state.receiveNext.rawValue.bigEndian, toByteOffset: 8, as: UInt32.self)
        tcp.storeBytes(of: UInt8(tcpHeaderLength << 2), toByteOffset: 12, as: UInt8.self)
        tcp.storeBytes(of: flags.rawValue, toByteOffset: 13, as: UInt8.self)
        tcp.storeBytes(of: state.advertisedWindow.bigEndian, toByteOffset: 14, as: UInt16.self)
        tcp.storeBytes(of: UInt32(0), toByteOffset: 16, as: UInt32.self)
        if withTimestamps {
            tcp.storeBytes(of: UInt32(0x0101_080a).bigEndian, toByteOffset: 20, as: UInt32.self)
            tcp.storeBytes(of: timestampValue.bigEndian, toByteOffset: 24, as: UInt32.self)
            tcp.storeBytes(of: state.timestampRecent.bigEndian, toByteOffset: 28, as: UInt32.self)
        }
        let segmentLength = tcpHeaderLength &+ payloadLength
        let checksum = InternetChecksum.transportChecksum(tcp, length: segmentLength, source: localAddress,
                                                          destination: state.remoteAddress, protocolNumber: .tcp)
        tcp.storeBytes(of: checksum.bigEndian, toByteOffset: 16, as: UInt16.self)
        return ethernetLength &+ ipTotal
    }
}
