import FlexPort
import FlexWire

// Building and sending the slow path's own segments.
extension SlowPath {
    /// Sends a segment that is not (yet) on an installed flow: SYN, SYN-ACK, RST. With `remoteMAC`
    /// it goes straight to that Ethernet address (answers go back the way the segment came, so a
    /// flood of forged sources causes no ARP traffic); without, through the network layer's
    /// neighbour resolution (the frame waits for ARP).
    func send(_ segment: TCPSegmentRepr, to remoteAddress: IPv4Address, remoteMAC: MACAddress?, now: UInt64) {
        let ip = IPv4Repr(source: network.address, destination: remoteAddress, protocolNumber: .tcp, payloadLength: 0,
                          timeToLive: network.configuration.timeToLive, identification: network.takeIdentification())
        let headers = FrameHeaders(ethernet: EthernetRepr(destination: remoteMAC ?? .zero, source: network.macAddress, etherType: .ipv4),
                                   network: .ipv4(ip, .tcp(segment)))
        guard let length = try? headers.emit(payload: UnsafeRawBufferPointer(start: nil, count: 0), into: scratch) else {
            counters.transmitFailures &+= 1
            return
        }
        let frame = UnsafeRawBufferPointer(rebasing: scratch[0..<length])
        let outcome: SendOutcome
        if let remoteMAC {
            outcome = network.transmitFrame(copying: frame, to: remoteMAC)
            network.flushTransmits()
        } else {
            do {
                outcome = try network.send(frame, to: remoteAddress, now: now)
            } catch {
                outcome = .dropped(.noRouteToSource)
            }
        }
        if case .dropped = outcome { counters.transmitFailures &+= 1 }
    }

    /// Sends a header-only segment of an installed flow, numbered from its fast-path state
    /// (acknowledgment RCV.NXT, our window, timestamps when negotiated).
    func sendFlowSegment(_ state: FlowState, sequence: SequenceNumber, flags: TCPFlags, now: UInt64) {
        guard let base = scratch.baseAddress else { return }
        var state = state
        var template = SegmentHeaderTemplate(flow: state, localAddress: network.address, localMAC: network.macAddress)
        let length = withUnsafePointer(to: &state) { flow in
            withUnsafePointer(to: &template) { template in
                SegmentHeaders.write(into: base, flow: flow, template: template, sequence: sequence, flags: flags, payloadLength: 0,
                                     timestampValue: FastPath.timestampClock(now), windowLimit: flows.receiveWindowLimit)
            }
        }
        if case .dropped = network.transmitFrame(copying: UnsafeRawBufferPointer(rebasing: scratch[0..<length]), to: state.remoteMAC) {
            counters.transmitFailures &+= 1
        }
        network.flushTransmits()
    }

    /// The options of a SYN or SYN-ACK: our MSS, window scale, SACK-permitted and timestamps as the
    /// negotiation allows (for a SYN: as configured).
    func handshakeOptions(windowScale: Bool, sackPermitted: Bool, timestamps: Bool, timestampEcho: UInt32, now: UInt64) -> TCPOptions {
        TCPOptions(maximumSegmentSize: localMaximumSegmentSize,
                   windowScale: windowScale ? configuration.receiveWindowShift : nil,
                   sackPermitted: sackPermitted,
                   timestamps: timestamps ? TCPTimestamps(value: FastPath.timestampClock(now), echoReply: timestampEcho) : nil)
    }

    /// The window field of a SYN or SYN-ACK (never scaled, RFC 7323 §2.2), within the fast path's limit.
    var handshakeWindow: UInt16 { UInt16(clamping: min(configuration.receiveRingSize, flows.receiveWindowLimit)) }

    /// RFC 9293 §3.10.7.1 reset for a segment that belongs to no connection; never for a RST.
    func sendReset(answering inbound: InboundSegment, now: UInt64) {
        let segment = inbound.segment
        guard !segment.flags.contains(.rst), network.configuration.interface.isUnicast(inbound.source) else { return }
        let reset: TCPSegmentRepr
        if segment.flags.contains(.ack) {
            reset = TCPSegmentRepr(sourcePort: segment.destinationPort, destinationPort: segment.sourcePort,
                                   sequenceNumber: segment.acknowledgmentNumber, flags: .rst, window: 0)
        } else {
            let length = UInt32(inbound.payloadLength) + (segment.flags.contains(.syn) ? 1 : 0) + (segment.flags.contains(.fin) ? 1 : 0)
            reset = TCPSegmentRepr(sourcePort: segment.destinationPort, destinationPort: segment.sourcePort,
                                   sequenceNumber: SequenceNumber(0), acknowledgmentNumber: segment.sequenceNumber + length,
                                   flags: [.rst, .ack], window: 0)
        }
        send(reset, to: inbound.source, remoteMAC: inbound.sourceMAC, now: now)
        counters.resetsSent &+= 1
    }
}
