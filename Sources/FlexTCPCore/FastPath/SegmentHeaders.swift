import FlexWire

/// Writes the Ethernet + IPv4 + TCP headers of a flow's segment in place: the flow's header
/// template (`SegmentHeaderTemplate`), then everything else from the flow state; nothing is parsed.
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
    @inlinable @inline(__always)
    static func sackBlockCount(of state: FlowState, flags: TCPFlags, duplicate: TCPSACKBlock?, reportsIntervals: Bool) -> Int {
        guard state.options.contains(.selectiveAcknowledgment), flags.contains(.ack) else { return 0 }
        let wanted = (duplicate == nil ? 0 : 1) &+ (reportsIntervals ? Int(state.outOfOrderCount) : 0)
        let room = state.options.contains(.timestamps) ? 3 : 4
        return wanted < room ? wanted : room
    }

    /// Bytes of the SACK option (0 when none) on a segment with `flags` from this flow.
    @inlinable @inline(__always)
    static func sackLength(of state: FlowState, flags: TCPFlags, duplicate: TCPSACKBlock? = nil, reportsIntervals: Bool) -> Int {
        let blocks = sackBlockCount(of: state, flags: flags, duplicate: duplicate, reportsIntervals: reportsIntervals)
        return blocks == 0 ? 0 : sackOptionHeaderLength &+ blocks &* sackBlockLength
    }

    /// TCP option bytes of a segment with `flags` from this flow.
    @inlinable @inline(__always)
    static func optionLength(of state: FlowState, flags: TCPFlags, duplicate: TCPSACKBlock? = nil, reportsIntervals: Bool) -> Int {
        (state.options.contains(.timestamps) ? TCPTimestamps.alignedLength : 0)
            &+ sackLength(of: state, flags: flags, duplicate: duplicate, reportsIntervals: reportsIntervals)
    }

    @inlinable @inline(__always)
    static func headerLength(of state: FlowState, flags: TCPFlags, duplicate: TCPSACKBlock? = nil, reportsIntervals: Bool) -> Int {
        fixedLength &+ optionLength(of: state, flags: flags, duplicate: duplicate, reportsIntervals: reportsIntervals)
    }

    /// Returns the total frame length. `template` holds the flow's addresses, MACs and ports
    /// (`SegmentHeaderTemplate`); everything else comes from `flow`.
    @inlinable
    static func write(into frame: UnsafeMutableRawPointer, flow: UnsafePointer<FlowState>, template: UnsafePointer<SegmentHeaderTemplate>,
                      sequence: SequenceNumber, flags: TCPFlags, payloadLength: Int,
                      timestampValue: UInt32, windowLimit: UInt32, duplicate: TCPSACKBlock? = nil,
                      outOfOrder: UnsafePointer<OutOfOrderIntervals>? = nil,
                      transportChecksum: TransportChecksum = .complete) -> Int {
        let state = flow.pointee
        let withTimestamps = state.options.contains(.timestamps)
        let sackBlocks = sackBlockCount(of: state, flags: flags, duplicate: duplicate, reportsIntervals: outOfOrder != nil)
        let tcpHeaderLength = TCPSegmentRepr.fixedHeaderLength
            &+ optionLength(of: state, flags: flags, duplicate: duplicate, reportsIntervals: outOfOrder != nil)
        let ipTotal = IPv4Repr.headerLength &+ tcpHeaderLength &+ payloadLength

        // Ethernet II, IPv4 (version 4, IHL 5, DF, TTL 64) and the TCP ports from the template; then
        // ECT(0) when ECN was negotiated, the total length and the header checksum.
        template.pointee.store(to: frame)
        let ip = frame + EthernetRepr.untaggedHeaderLength
        if state.options.contains(.explicitCongestionNotification) && payloadLength > 0 {
            ip.storeBytes(of: 0x02, toByteOffset: IPv4Repr.Offset.trafficClass, as: UInt8.self)
        }
        ip.storeBytes(of: UInt16(truncatingIfNeeded: ipTotal).bigEndian, toByteOffset: IPv4Repr.Offset.totalLength, as: UInt16.self)
        ip.storeBytes(of: InternetChecksum.checksumOfIPv4Header(ip, tailSum: template.pointee.ipv4TailSum).bigEndian,
                      toByteOffset: IPv4Repr.Offset.headerChecksum, as: UInt16.self)

        // TCP.
        let tcp = ip + IPv4Repr.headerLength
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
        let pseudoHeaderSum = template.pointee.pseudoHeaderSum &+ UInt64(UInt32(truncatingIfNeeded: segmentLength))
        let checksum: UInt16
        switch transportChecksum {
        case .complete:
            checksum = InternetChecksum.finish(InternetChecksum.partialSum(tcp, count: segmentLength, initial: pseudoHeaderSum))
        case .partial:
            checksum = ~InternetChecksum.finish(pseudoHeaderSum)
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
