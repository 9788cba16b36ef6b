import FlexWire

/// Writes the Ethernet + IPv4 + TCP headers of a flow's segment in place, the per-flow "header
/// template" of the FlexTCP NIC: everything comes from the flow state, nothing is parsed.
///
/// Options, each 4-byte aligned as Linux lays them out: NOP NOP timestamps when negotiated; then,
/// on segments carrying ACK of a flow that negotiated SACK, NOP NOP and a SACK option holding an
/// optional D-SACK block (RFC 2883: a duplicate the segment answers) followed by the flow's
/// out-of-order intervals, most recently changed first (RFC 2018 §4), as many as fit: three blocks
/// with timestamps (12 + 4 + 3 × 8 = 40 option bytes), four without (4 + 4 × 8 = 36). Intervals are
/// reported only when the caller passes them (`outOfOrder`; the slow path, which has none, does not).
///
/// Contract: `frame` has room for `headerLength(of:flags:duplicate:) + payloadLength` bytes; the
/// payload must already sit at `frame + headerLength`. The IPv4 header checksum is always filled; the
/// TCP checksum is complete, or with `transportChecksum: .partial` only the folded pseudo-header sum
/// (for a port that completes or waives it; the caller marks the frame `.checksumPartial`). The
/// window field offers at most `windowLimit` bytes.
@usableFromInline
enum SegmentHeaders {
    /// Bytes of the Ethernet (untagged), IPv4 and TCP headers without options.
    @inlinable static var fixedLength: Int {
        EthernetRepr.untaggedHeaderLength &+ IPv4Repr.headerLength &+ TCPSegmentRepr.fixedHeaderLength
    }
    /// NOP NOP, kind and length of a SACK option; each block adds `sackBlockLength`.
    @usableFromInline static let sackOptionHeaderLength = 4
    @usableFromInline static let sackBlockLength = 8

    /// How `write` fills the TCP checksum field.
    @usableFromInline
    enum TransportChecksum {
        /// The full checksum over pseudo-header, header and payload.
        case complete
        /// The uncomplemented, folded pseudo-header sum that checksum offload starts from (what Linux
        /// leaves for CHECKSUM_PARTIAL): summing the segment from the TCP header on and complementing
        /// completes it.
        case partial
    }

    /// The SACK blocks a segment with `flags` carries: the D-SACK block (if any), then the
    /// out-of-order intervals (when `reportsIntervals`), as many as the option space holds.
    @inlinable
    static func sackBlockCount(of state: FlowState, flags: TCPFlags, duplicate: TCPSACKBlock?, reportsIntervals: Bool) -> Int {
        guard state.options.contains(.selectiveAcknowledgment), flags.contains(.ack) else { return 0 }
        let wanted = (duplicate == nil ? 0 : 1) &+ (reportsIntervals ? Int(state.outOfOrderCount) : 0)
        let room = state.options.contains(.timestamps) ? 3 : 4
        return wanted < room ? wanted : room
    }

    /// Bytes of the SACK option (0 when none) on a segment with `flags` from this flow.
    @inlinable
    static func sackLength(of state: FlowState, flags: TCPFlags, duplicate: TCPSACKBlock? = nil, reportsIntervals: Bool) -> Int {
        let blocks = sackBlockCount(of: state, flags: flags, duplicate: duplicate, reportsIntervals: reportsIntervals)
        return blocks == 0 ? 0 : sackOptionHeaderLength &+ blocks &* sackBlockLength
    }

    /// TCP option bytes of a segment with `flags` from this flow.
    @inlinable
    static func optionLength(of state: FlowState, flags: TCPFlags, duplicate: TCPSACKBlock? = nil, reportsIntervals: Bool) -> Int {
        (state.options.contains(.timestamps) ? TCPTimestamps.alignedLength : 0)
            &+ sackLength(of: state, flags: flags, duplicate: duplicate, reportsIntervals: reportsIntervals)
    }

    @inlinable
    static func headerLength(of state: FlowState, flags: TCPFlags, duplicate: TCPSACKBlock? = nil, reportsIntervals: Bool) -> Int {
        fixedLength &+ optionLength(of: state, flags: flags, duplicate: duplicate, reportsIntervals: reportsIntervals)
    }

    /// Returns the total frame length.
    @inlinable
    static func write(into frame: UnsafeMutableRawPointer, flow: UnsafePointer<FlowState>, localAddress: IPv4Address,
                      localMAC: MACAddress, sequence: SequenceNumber, flags: TCPFlags, payloadLength: Int,
                      timestampValue: UInt32, windowLimit: UInt32, duplicate: TCPSACKBlock? = nil,
                      outOfOrder: UnsafePointer<OutOfOrderIntervals>? = nil,
                      transportChecksum: TransportChecksum = .complete) -> Int {
        let state = flow.pointee
        let withTimestamps = state.options.contains(.timestamps)
        let sackBlocks = sackBlockCount(of: state, flags: flags, duplicate: duplicate, reportsIntervals: outOfOrder != nil)
        let tcpHeaderLength = TCPSegmentRepr.fixedHeaderLength
            &+ optionLength(of: state, flags: flags, duplicate: duplicate, reportsIntervals: outOfOrder != nil)
        let ipTotal = IPv4Repr.headerLength &+ tcpHeaderLength &+ payloadLength

        // Ethernet II.
        state.remoteMAC.store(to: frame + EthernetRepr.Offset.destination)
        localMAC.store(to: frame + EthernetRepr.Offset.source)
        frame.storeBytes(of: EtherType.ipv4.rawValue.bigEndian, toByteOffset: EthernetRepr.Offset.etherType, as: UInt16.self)

        // IPv4: version 4, IHL 5, ECT(0) when ECN was negotiated, DF, TTL 64.
        let ip = frame + EthernetRepr.untaggedHeaderLength
        ip.storeBytes(of: 0x45, toByteOffset: IPv4Repr.Offset.versionAndHeaderLength, as: UInt8.self)
        ip.storeBytes(of: state.options.contains(.explicitCongestionNotification) && payloadLength > 0 ? 0x02 : 0x00,
                      toByteOffset: IPv4Repr.Offset.trafficClass, as: UInt8.self)
        ip.storeBytes(of: UInt16(truncatingIfNeeded: ipTotal).bigEndian, toByteOffset: IPv4Repr.Offset.totalLength, as: UInt16.self)
        // One store each for two adjacent fields: identification 0 and DF; TTL 64 and the protocol.
        ip.storeBytes(of: UInt32(0x0000_4000).bigEndian, toByteOffset: IPv4Repr.Offset.identification, as: UInt32.self)
        ip.storeBytes(of: (UInt16(64) << 8 | UInt16(IPProtocol.tcp.rawValue)).bigEndian,
                      toByteOffset: IPv4Repr.Offset.timeToLive, as: UInt16.self)
        ip.storeBytes(of: UInt16(0), toByteOffset: IPv4Repr.Offset.headerChecksum, as: UInt16.self)
        localAddress.store(to: ip + IPv4Repr.Offset.source)
        state.remoteAddress.store(to: ip + IPv4Repr.Offset.destination)
        ip.storeBytes(of: InternetChecksum.checksumOfIPv4Header(ip).bigEndian, toByteOffset: IPv4Repr.Offset.headerChecksum, as: UInt16.self)

        // TCP.
        let tcp = ip + IPv4Repr.headerLength
        tcp.storeBytes(of: state.localPort.bigEndian, toByteOffset: TCPSegmentRepr.Offset.sourcePort, as: UInt16.self)
        tcp.storeBytes(of: state.remotePort.bigEndian, toByteOffset: TCPSegmentRepr.Offset.destinationPort, as: UInt16.self)
        tcp.storeBytes(of: sequence.rawValue.bigEndian, toByteOffset: TCPSegmentRepr.Offset.sequenceNumber, as: UInt32.self)
        tcp.storeBytes(of: state.receiveNext.rawValue.bigEndian, toByteOffset: TCPSegmentRepr.Offset.acknowledgmentNumber,
                       as: UInt32.self)
        tcp.storeBytes(of: UInt8(tcpHeaderLength << 2), toByteOffset: TCPSegmentRepr.Offset.dataOffset, as: UInt8.self)
        tcp.storeBytes(of: flags.rawValue, toByteOffset: TCPSegmentRepr.Offset.flags, as: UInt8.self)
        tcp.storeBytes(of: state.advertisedWindow(limitedTo: windowLimit).bigEndian, toByteOffset: TCPSegmentRepr.Offset.window,
                       as: UInt16.self)
        // One store for the checksum (filled below) and the urgent pointer, both 0.
        tcp.storeBytes(of: UInt32(0), toByteOffset: TCPSegmentRepr.Offset.checksum, as: UInt32.self)
        var option = tcp + TCPSegmentRepr.fixedHeaderLength
        if withTimestamps {
            TCPTimestamps(value: timestampValue, echoReply: state.timestampRecent).storeAligned(to: option)
            option += TCPTimestamps.alignedLength
        }
        if sackBlocks > 0 {
            let optionBytes = UInt32(2 &+ sackBlocks &* sackBlockLength)
            option.storeBytes(of: (0x0101_0500 | optionBytes).bigEndian, as: UInt32.self)
            option += sackOptionHeaderLength
            var written = 0
            if let duplicate {
                writeBlock(duplicate.leftEdge, duplicate.rightEdge, at: option)
                option += sackBlockLength
                written = 1
            }
            if let outOfOrder {
                var index = 0
                while written < sackBlocks {
                    let interval = outOfOrder.pointee.interval(index)
                    writeBlock(interval.start, interval.end, at: option)
                    option += sackBlockLength
                    written &+= 1
                    index &+= 1
                }
            }
        }
        let segmentLength = tcpHeaderLength &+ payloadLength
        let checksum: UInt16
        switch transportChecksum {
        case .complete:
            checksum = InternetChecksum.transportChecksum(tcp, length: segmentLength, source: localAddress,
                                                          destination: state.remoteAddress, protocolNumber: .tcp)
        case .partial:
            checksum = ~InternetChecksum.finish(InternetChecksum.pseudoHeaderSum(
                source: localAddress, destination: state.remoteAddress, protocolNumber: IPProtocol.tcp.rawValue, length: segmentLength))
        }
        tcp.storeBytes(of: checksum.bigEndian, toByteOffset: TCPSegmentRepr.Offset.checksum, as: UInt16.self)
        return EthernetRepr.untaggedHeaderLength &+ ipTotal
    }

    @inlinable
    static func writeBlock(_ left: SequenceNumber, _ right: SequenceNumber, at bytes: UnsafeMutableRawPointer) {
        bytes.storeBytes(of: left.rawValue.bigEndian, as: UInt32.self)
        bytes.storeBytes(of: right.rawValue.bigEndian, toByteOffset: 4, as: UInt32.self)
    }
}
