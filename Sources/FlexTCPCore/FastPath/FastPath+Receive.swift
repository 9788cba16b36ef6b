import FlexPort
import FlexWire

extension FastPath {
    /// Processes a received batch: handles segments of established flows, records exceptions and
    /// events, and transmits the ACKs they call for. The caller passes the exception frames to the
    /// slow path and then releases the batch to the port.
    package func processReceived(_ batch: FrameBatch, now: UInt64) {
        precondition(batch.count <= FastPath.maximumReceiveBatch, "receive batch larger than the fast path accepts")
        exceptionCount = 0
        for index in 0..<batch.count {
            let frame = batch[index]
            let verdict = processSegment(frame, now: now)
            count(verdict)
            if verdict == .exception {
                exceptionStorage[exceptionCount] = index
                exceptionCount &+= 1
            }
        }
        flushTransmitBatch()
    }

    /// Processes one frame the slow path holds (e.g. data on the ACK that completed a handshake, now
    /// that the flow is installed) as if it had arrived; leaves `exceptionIndices` alone.
    @discardableResult
    package func processFrame(_ frame: Frame, now: UInt64) -> FastPathVerdict {
        let verdict = processSegment(frame, now: now)
        count(verdict)
        flushTransmitBatch()
        return verdict
    }

    /// One frame. Fast-path parsing reads FlexWire's fixed field offsets after one length check per header.
    func processSegment(_ frame: Frame, now: UInt64) -> FastPathVerdict {
        let bytes = UnsafeRawPointer(frame.bytes)
        let length = frame.length
        let ethernetLength = EthernetRepr.untaggedHeaderLength
        guard length >= SegmentHeaders.fixedLength else {
            return length >= ethernetLength ? .exception : .malformed
        }
        // Only untagged IPv4 without fragmentation, carrying TCP, is fast-path material. IP options
        // are skipped unread (RFC 1122 §3.2.1.8: a host ignores the options it does not implement).
        guard UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: EthernetRepr.Offset.etherType, as: UInt16.self))
                == EtherType.ipv4.rawValue else { return .exception }
        let ip = bytes + ethernetLength
        let versionAndLength = ip.load(fromByteOffset: IPv4Repr.Offset.versionAndHeaderLength, as: UInt8.self)
        let ipHeaderLength = Int(versionAndLength & 0x0f) &* 4
        guard versionAndLength >> 4 == 4, ipHeaderLength >= IPv4Repr.headerLength else { return .exception }
        guard ip.load(fromByteOffset: IPv4Repr.Offset.protocolNumber, as: UInt8.self) == IPProtocol.tcp.rawValue,
              UInt16(bigEndian: ip.loadUnaligned(fromByteOffset: IPv4Repr.Offset.flagsAndFragmentOffset, as: UInt16.self))
                & 0x3fff == 0 else { return .exception }
        let ipTotal = Int(UInt16(bigEndian: ip.loadUnaligned(fromByteOffset: IPv4Repr.Offset.totalLength, as: UInt16.self)))
        guard ipTotal >= ipHeaderLength &+ TCPSegmentRepr.fixedHeaderLength,
              ipTotal <= length &- ethernetLength else { return .malformed }
        let destination = IPv4Address(loadingFrom: ip + IPv4Repr.Offset.destination)
        guard destination == configuration.localAddress else { return .notForUs }
        let source = IPv4Address(loadingFrom: ip + IPv4Repr.Offset.source)
        let tcp = ip + ipHeaderLength
        let segmentLength = ipTotal &- ipHeaderLength
        let tcpHeaderLength = Int(tcp.load(fromByteOffset: TCPSegmentRepr.Offset.dataOffset, as: UInt8.self) >> 4) &* 4
        guard tcpHeaderLength >= TCPSegmentRepr.fixedHeaderLength, tcpHeaderLength <= segmentLength else { return .malformed }

        if configuration.verifiesChecksums && !frame.flags.contains(.checksumVerified) {
            guard InternetChecksum.checksum(ip, count: ipHeaderLength) == 0 else { return .badChecksum }
            if !frame.flags.contains(.checksumPartial) {
                guard InternetChecksum.transportChecksum(tcp, length: segmentLength, source: source, destination: destination,
                                                         protocolNumber: .tcp) == 0 else { return .badChecksum }
            }
        }

        let flags = TCPFlags(rawValue: tcp.load(fromByteOffset: TCPSegmentRepr.Offset.flags, as: UInt8.self))
        // FIN is handled per flow (`handle`); URG is plain data (RFC 6093).
        guard flags.isDisjoint(with: [.syn, .rst]), flags.contains(.ack) else { return .exception }
        let key = FlowKey(localAddress: destination,
                          localPort: UInt16(bigEndian: tcp.loadUnaligned(fromByteOffset: TCPSegmentRepr.Offset.destinationPort,
                                                                         as: UInt16.self)),
                          remoteAddress: source,
                          remotePort: UInt16(bigEndian: tcp.loadUnaligned(fromByteOffset: TCPSegmentRepr.Offset.sourcePort,
                                                                          as: UInt16.self)))
        guard let flow = flowTable.lookup(key) else { return .exception }
        // Frames to a group or another host's MAC are not ours, whatever their IP header says.
        let destinationMAC = bytes + EthernetRepr.Offset.destination
        guard destinationMAC.loadUnaligned(as: UInt32.self) == localMACHead,
              destinationMAC.loadUnaligned(fromByteOffset: 4, as: UInt16.self) == localMACTail else { return .foreignDestinationMAC }
        let state = flows + Int(flow)

        var timestamps: TCPTimestamps?
        let optionBytes = tcp + TCPSegmentRepr.fixedHeaderLength
        let optionCount = tcpHeaderLength &- TCPSegmentRepr.fixedHeaderLength
        if let aligned = TCPTimestamps(alignedIn: optionBytes, count: optionCount) {
            // NOP NOP timestamps alone, on nearly every segment: read in place, no option walk.
            timestamps = aligned
        } else if optionCount > 0 {
            guard let found = FastPath.options(in: optionBytes, count: optionCount) else { return .malformed }
            timestamps = found.timestamps
            // The latest SACK blocks the peer reported, for the slow path's loss recovery to read.
            if let blocks = found.sackBlocks, !blocks.isEmpty, state.pointee.options.contains(.selectiveAcknowledgment) {
                peerSACKBlocks[Int(flow)] = blocks
                recordHighestSelectiveAcknowledgment(blocks, state: state)
            }
        }
        let segment = ReceivedSegment(
            sequence: SequenceNumber(UInt32(bigEndian: tcp.loadUnaligned(fromByteOffset: TCPSegmentRepr.Offset.sequenceNumber,
                                                                         as: UInt32.self))),
            acknowledgment: SequenceNumber(UInt32(bigEndian: tcp.loadUnaligned(fromByteOffset: TCPSegmentRepr.Offset.acknowledgmentNumber,
                                                                               as: UInt32.self))),
            window: UInt16(bigEndian: tcp.loadUnaligned(fromByteOffset: TCPSegmentRepr.Offset.window, as: UInt16.self)),
            flags: flags,
            payload: tcp + tcpHeaderLength,
            payloadLength: UInt32(truncatingIfNeeded: segmentLength &- tcpHeaderLength),
            timestamps: timestamps,
            congestionExperienced: ip.load(fromByteOffset: IPv4Repr.Offset.trafficClass, as: UInt8.self) & 0x03 == 0x03)
        let verdict = handle(segment, flow: flow, state: state, now: now)
        publishSnapshot(flow)
        return verdict
    }
}

extension FastPath {
    /// The options among `count` option bytes the fast path acts on: timestamps and SACK blocks
    /// (nil when absent); nil when the options are malformed. (`processSegment` reads the common
    /// NOP NOP TS layout itself and calls this for anything else.)
    static func options(in options: UnsafeRawPointer, count: Int) -> (timestamps: TCPTimestamps?, sackBlocks: TCPSACKBlocks?)? {
        var iterator = TCPOptionIterator(bytes: options, count: count)
        var timestamps: TCPTimestamps?
        var sackBlocks: TCPSACKBlocks?
        do {
            while let option = try iterator.next() {
                switch option {
                case .timestamps(let value): timestamps = value
                case .sackBlocks(let blocks): sackBlocks = blocks
                default: break
                }
            }
        } catch {
            return nil
        }
        return (timestamps, sackBlocks)
    }
}

extension FastPath {
    /// Raises `highestSelectivelyAcknowledged` to the highest right edge among `blocks` (at most four),
    /// or sets it outright when the old value no longer lies above SND.UNA.
    func recordHighestSelectiveAcknowledgment(_ blocks: TCPSACKBlocks, state: UnsafeMutablePointer<FlowState>) {
        var highest = state.pointee.highestSelectivelyAcknowledged
        if !(state.pointee.sendUnacknowledged < highest) { highest = blocks[0].rightEdge }
        for block in blocks where highest < block.rightEdge { highest = block.rightEdge }
        state.pointee.highestSelectivelyAcknowledged = highest
    }
}

/// The fields of a received segment the fast path acts on.
@usableFromInline
struct ReceivedSegment {
    @usableFromInline var sequence: SequenceNumber
    @usableFromInline var acknowledgment: SequenceNumber
    @usableFromInline var window: UInt16
    @usableFromInline var flags: TCPFlags
    @usableFromInline var payload: UnsafeRawPointer
    @usableFromInline var payloadLength: UInt32
    @usableFromInline var timestamps: TCPTimestamps?
    @usableFromInline var congestionExperienced: Bool

    init(sequence: SequenceNumber, acknowledgment: SequenceNumber, window: UInt16, flags: TCPFlags, payload: UnsafeRawPointer,
         payloadLength: UInt32, timestamps: TCPTimestamps?, congestionExperienced: Bool) {
        self.sequence = sequence
        self.acknowledgment = acknowledgment
        self.window = window
        self.flags = flags
        self.payload = payload
        self.payloadLength = payloadLength
        self.timestamps = timestamps
        self.congestionExperienced = congestionExperienced
    }
}
