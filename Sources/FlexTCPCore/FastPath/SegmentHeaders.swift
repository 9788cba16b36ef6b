import FlexWire

/// Writes the Ethernet + IPv4 + TCP headers of a flow's segment in place, the per-flow "header
/// template" of the FlexTCP NIC: everything comes from the flow state, nothing is parsed.
///
/// Options, each 4-byte aligned as Linux lays them out: NOP NOP timestamps when negotiated; then,
/// on segments carrying ACK of a flow that negotiated SACK, NOP NOP and a SACK option holding an
/// optional D-SACK block (RFC 2883: a duplicate the segment answers) followed by the flow's
/// out-of-order interval (RFC 2018). At most 12 + 4 + 2 × 8 = 32 of the 40 option bytes.
///
/// Contract: `frame` has room for `headerLength(of:flags:duplicate:) + payloadLength` bytes; the
/// payload must already sit at `frame + headerLength`. Both checksums are filled. The window field
/// offers at most `windowLimit` bytes.
@usableFromInline
enum SegmentHeaders {
    @usableFromInline static let ethernetLength = 14
    @usableFromInline static let ipv4Length = 20
    @usableFromInline static let tcpLength = 20
    @usableFromInline static let timestampOptionLength = 12
    /// NOP NOP, kind and length of a SACK option; each block adds `sackBlockLength`.
    @usableFromInline static let sackOptionHeaderLength = 4
    @usableFromInline static let sackBlockLength = 8

    /// The SACK blocks a segment with `flags` carries: the D-SACK block (if any) and the out-of-order interval.
    @inlinable
    static func sackBlockCount(of state: FlowState, flags: TCPFlags, duplicate: TCPSACKBlock?) -> Int {
        guard state.options.contains(.selectiveAcknowledgment), flags.contains(.ack) else { return 0 }
        return (duplicate == nil ? 0 : 1) &+ (state.outOfOrderLength > 0 ? 1 : 0)
    }

    /// Bytes of the SACK option (0 when none) on a segment with `flags` from this flow.
    @inlinable
    static func sackLength(of state: FlowState, flags: TCPFlags, duplicate: TCPSACKBlock? = nil) -> Int {
        let blocks = sackBlockCount(of: state, flags: flags, duplicate: duplicate)
        return blocks == 0 ? 0 : sackOptionHeaderLength &+ blocks &* sackBlockLength
    }

    /// TCP option bytes of a segment with `flags` from this flow.
    @inlinable
    static func optionLength(of state: FlowState, flags: TCPFlags, duplicate: TCPSACKBlock? = nil) -> Int {
        (state.options.contains(.timestamps) ? timestampOptionLength : 0) &+ sackLength(of: state, flags: flags, duplicate: duplicate)
    }

    @inlinable
    static func headerLength(of state: FlowState, flags: TCPFlags, duplicate: TCPSACKBlock? = nil) -> Int {
        ethernetLength &+ ipv4Length &+ tcpLength &+ optionLength(of: state, flags: flags, duplicate: duplicate)
    }

    /// Returns the total frame length.
    @inlinable
    static func write(into frame: UnsafeMutableRawPointer, flow: UnsafePointer<FlowState>, localAddress: IPv4Address,
                      localMAC: MACAddress, sequence: SequenceNumber, flags: TCPFlags, payloadLength: Int,
                      timestampValue: UInt32, windowLimit: UInt32, duplicate: TCPSACKBlock? = nil) -> Int {
        let state = flow.pointee
        let withTimestamps = state.options.contains(.timestamps)
        let sackBlocks = sackBlockCount(of: state, flags: flags, duplicate: duplicate)
        let tcpHeaderLength = tcpLength &+ optionLength(of: state, flags: flags, duplicate: duplicate)
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
        tcp.storeBytes(of: state.advertisedWindow(limitedTo: windowLimit).bigEndian, toByteOffset: 14, as: UInt16.self)
        tcp.storeBytes(of: UInt32(0), toByteOffset: 16, as: UInt32.self)
        var option = tcp + tcpLength
        if withTimestamps {
            option.storeBytes(of: UInt32(0x0101_080a).bigEndian, as: UInt32.self)
            option.storeBytes(of: timestampValue.bigEndian, toByteOffset: 4, as: UInt32.self)
            option.storeBytes(of: state.timestampRecent.bigEndian, toByteOffset: 8, as: UInt32.self)
            option += timestampOptionLength
        }
        if sackBlocks > 0 {
            let optionBytes = UInt32(2 &+ sackBlocks &* sackBlockLength)
            option.storeBytes(of: (0x0101_0500 | optionBytes).bigEndian, as: UInt32.self)
            option += sackOptionHeaderLength
            if let duplicate {
                writeBlock(duplicate.leftEdge, duplicate.rightEdge, at: option)
                option += sackBlockLength
            }
            if state.outOfOrderLength > 0 {
                writeBlock(state.outOfOrderStart, state.outOfOrderStart + state.outOfOrderLength, at: option)
            }
        }
        let segmentLength = tcpHeaderLength &+ payloadLength
        let checksum = InternetChecksum.transportChecksum(tcp, length: segmentLength, source: localAddress,
                                                          destination: state.remoteAddress, protocolNumber: .tcp)
        tcp.storeBytes(of: checksum.bigEndian, toByteOffset: 16, as: UInt16.self)
        return ethernetLength &+ ipTotal
    }

    @inlinable
    static func writeBlock(_ left: SequenceNumber, _ right: SequenceNumber, at bytes: UnsafeMutableRawPointer) {
        bytes.storeBytes(of: left.rawValue.bigEndian, as: UInt32.self)
        bytes.storeBytes(of: right.rawValue.bigEndian, toByteOffset: 4, as: UInt32.self)
    }
}
