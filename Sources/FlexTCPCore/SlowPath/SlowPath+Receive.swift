import FlexPort
import FlexWire

// Dispatching the fast path's exceptions.
extension SlowPath {
    /// Handles the exception frames of `batch` at `indices` (the fast path's `exceptionIndices` right
    /// after `fastPath.processReceived(batch)`, on the same thread); call before releasing the batch
    /// to the port. The indices are copied first: handling a frame may reprocess another through
    /// the fast path.
    package func handleExceptions(in batch: FrameBatch, at indices: UnsafeBufferPointer<Int>, now: UInt64) {
        guard !indices.isEmpty else { return }
        exceptionIndices.removeAll(keepingCapacity: true)
        exceptionIndices.append(contentsOf: indices)
        for index in exceptionIndices where index < batch.count { handleFrame(batch[index], now: now) }
        network.flushTransmits()
    }

    /// Handles one frame the fast path did not: TCP for this host here, everything else in the network layer.
    /// IPv4 fragments go to the network layer's reassembly; a datagram they complete is handled as received.
    package func handleFrame(_ frame: Frame, now: UInt64) {
        switch network.reassemble(frame, now: now) {
        case .whole: break
        case .consumed: return
        case let .reassembled(datagram): return handleFrame(datagram, now: now)
        }
        guard Self.carriesTCP(frame) else { return network.handleFrame(frame, now: now) }
        guard let parsed = parseTCPFrame(frame) else {
            counters.malformedSegments &+= 1
            return
        }
        guard case let .ipv4(ip, .tcp(segment)) = parsed.headers.network, ip.destination == network.address,
              parsed.headers.ethernet.destination == network.macAddress, !parsed.headers.ethernet.source.isMulticast,
              network.configuration.interface.isUnicast(ip.source) else {
            counters.unsupportedSegments &+= 1
            return
        }
        let inbound = InboundSegment(frame: frame, segment: segment, source: ip.source, sourceMAC: parsed.headers.ethernet.source,
                                     payloadLength: parsed.payloadRange.count,
                                     tcpOffset: parsed.payloadRange.lowerBound - segment.headerLength)
        dispatch(inbound, now: now)
    }

    /// The frame parsed strictly, or nil when it is malformed. A SYN (or SYN-ACK) whose only fault is a
    /// malformed option is read as Linux's `tcp_parse_options` reads it (`TCPOptions(lenientlyParsing:)`:
    /// the bad option counts as absent) and counted in `synsWithMalformedOptions`, so the handshake goes
    /// on; any other segment with malformed options is dropped.
    private func parseTCPFrame(_ frame: Frame) -> ParsedFrame? {
        let verifyChecksums = frame.flags.isDisjoint(with: [.checksumVerified, .checksumPartial])
        do {
            return try ParsedFrame(parsing: frame.buffer, verifyChecksums: verifyChecksums)
        } catch .optionOverrun, .optionLengthTooSmall, .badOptionLength {
            guard let lenient = try? ParsedFrame(parsing: frame.buffer, verifyChecksums: verifyChecksums, tcpOptionParsing: .lenient),
                  case let .ipv4(_, .tcp(segment)) = lenient.headers.network, segment.flags.contains(.syn) else { return nil }
            counters.synsWithMalformedOptions &+= 1
            return lenient
        } catch {
            return nil
        }
    }

    func dispatch(_ inbound: InboundSegment, now: UInt64) {
        let segment = inbound.segment
        let key = key(localPort: segment.destinationPort, remoteAddress: inbound.source, remotePort: segment.sourcePort)
        if let flow = flowsByKey[key] {
            handleConnectionSegment(inbound, flow: flow, now: now)
        } else if let record = timeWaitRecords[key] {
            handleTimeWaitSegment(inbound, key: key, record: record, now: now)
        } else if let entry = synQueue[key] {
            handleHalfOpenSegment(inbound, entry: entry, now: now)
        } else if listeners[segment.destinationPort] != nil {
            handleListenerSegment(inbound, key: key, now: now)
        } else {
            counters.segmentsToUnknownFlows &+= 1
            sendReset(answering: inbound, now: now)
        }
    }

    /// Untagged IPv4 carrying TCP (whatever else may be wrong with it).
    static func carriesTCP(_ frame: Frame) -> Bool {
        let ethernetLength = EthernetRepr.untaggedHeaderLength
        let bytes = UnsafeRawPointer(frame.bytes)
        return frame.length >= ethernetLength + IPv4Repr.headerLength
            && UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: EthernetRepr.Offset.etherType, as: UInt16.self))
                == EtherType.ipv4.rawValue
            && bytes.load(fromByteOffset: ethernetLength + IPv4Repr.Offset.protocolNumber, as: UInt8.self) == IPProtocol.tcp.rawValue
    }
}
