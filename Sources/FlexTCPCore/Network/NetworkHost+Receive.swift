import FlexPort
import FlexWire

// Handling received frames: ARP (RFC 826), ICMP echo (RFC 792), IPv4 fragments (NetworkHost+Fragments).
extension NetworkHost {
    /// Handles one received frame; replies it causes are committed by `flushTransmits()` (or `poll`).
    /// IPv4 fragments are reassembled first (see `reassemble`); a datagram they complete is handled here.
    package func handleFrame(_ frame: Frame, now: UInt64) {
        counters.receivedFrames &+= 1
        guard let ethernet = acceptedEthernet(frame) else { return }
        switch ethernet.etherType {
        case .arp:
            handleARP(ethernet, now: now)
        case .ipv4:
            guard let packet = acceptedIPv4(ethernet) else { return }
            guard !packet.isFragment else {
                if case let .reassembled(datagram) = reassemble(packet, in: ethernet, now: now) { handleFrame(datagram, now: now) }
                return
            }
            handleIPv4(ethernet, packet, flags: frame.flags, now: now)
        default:
            count(.unsupportedEtherType)
        }
    }

    /// The frame's Ethernet header when it is untagged, from a unicast source, to this host's MAC or
    /// a group address; otherwise nil, with the drop counted.
    func acceptedEthernet(_ frame: Frame) -> EthernetFrame<UnsafeRawPointer>? {
        guard let ethernet = try? EthernetFrame(checking: UnsafeRawPointer(frame.bytes), length: frame.length) else {
            return dropped(.malformed)
        }
        guard !ethernet.source.isMulticast else { return dropped(.invalidSource) }
        let destination = ethernet.destination
        guard destination == macAddress || destination.isMulticast else { return dropped(.notForThisHost) }
        guard !ethernet.isTagged else { return dropped(.unsupportedEtherType) }
        return ethernet
    }

    /// The IPv4 packet in `ethernet` when it is well formed, unicast to this host (link and IP) with
    /// a valid header checksum; otherwise nil, with the drop counted.
    func acceptedIPv4(_ ethernet: EthernetFrame<UnsafeRawPointer>) -> IPv4Packet<UnsafeRawPointer>? {
        guard ethernet.destination == macAddress else { return dropped(.broadcastOrMulticast) }
        guard let packet = try? IPv4Packet(checking: ethernet.payloadBase, length: ethernet.payloadLength) else {
            return dropped(.malformed)
        }
        guard packet.isHeaderChecksumValid else { return dropped(.badIPv4Checksum) }
        let destination = packet.destination
        guard destination == address else {
            return dropped(configuration.interface.isUnicast(destination) ? .notForThisHost : .broadcastOrMulticast)
        }
        return packet
    }

    /// Counts a drop; nil for the caller to return.
    private func dropped<Value>(_ reason: DropReason) -> Value? {
        count(reason)
        return nil
    }

    private func handleARP(_ ethernet: EthernetFrame<UnsafeRawPointer>, now: UInt64) {
        let packet: ARPPacket<UnsafeRawPointer>
        do {
            packet = try ARPPacket(checking: ethernet.payloadBase, length: ethernet.payloadLength)
        } catch {
            return count(error == .unsupportedARPFormat ? .arpUnsupported : .malformed)
        }
        guard let operation = ARPRepr.Operation(rawValue: packet.operation) else { return count(.arpUnsupported) }
        let senderHardwareAddress = packet.senderHardwareAddress
        let senderAddress = packet.senderProtocolAddress
        let isForUs = packet.targetProtocolAddress == address
        guard !senderHardwareAddress.isMulticast, senderHardwareAddress != .zero,
              !(senderAddress.isUnspecified && operation == .reply) else { return count(.arpInvalidSender) }
        guard senderAddress != address else { return count(.arpAddressConflict) }

        // RFC 5227 probes (sender 0.0.0.0) teach nothing but are answered when they ask for us.
        if !senderAddress.isUnspecified {
            let interface = configuration.interface
            guard interface.contains(senderAddress), interface.isUnicast(senderAddress) else {
                return count(.arpSenderOffSubnet)
            }
            let outcome = resolver.learn(senderAddress, at: senderHardwareAddress, now: now, createIfMissing: isForUs)
            if case let .resolved(slot, requestsSent, elapsed) = outcome {
                completeResolution(of: senderAddress, inSlot: slot, at: senderHardwareAddress,
                                   requestsSent: requestsSent, elapsed: elapsed)
            }
            if !isForUs && outcome == .ignored { return count(.arpForOtherHost) }
        } else if !isForUs {
            return count(.arpForOtherHost)
        }
        guard isForUs else { return }
        switch operation {
        case .request:
            let reply = ARPRepr(operation: .reply, senderHardwareAddress: macAddress, senderProtocolAddress: address,
                                targetHardwareAddress: senderHardwareAddress, targetProtocolAddress: senderAddress)
            let headers = FrameHeaders(ethernet: EthernetRepr(destination: senderHardwareAddress, source: macAddress, etherType: .arp),
                                       network: .arp(reply))
            if transmit(headers, payload: UnsafeRawBufferPointer(start: nil, count: 0)) { counters.arpRequestsAnswered &+= 1 }
        case .reply:
            counters.arpRepliesReceived &+= 1
        }
    }

    /// Sends the frames that waited for `neighbour` and reports the resolution.
    private func completeResolution(of neighbour: IPv4Address, inSlot slot: Int, at hardwareAddress: MACAddress,
                                    requestsSent: Int, elapsed: UInt64) {
        while let frame = resolver.firstWaitingFrame(inSlot: slot) {
            _ = transmitFrame(copying: frame, to: hardwareAddress)
            resolver.removeFirstWaitingFrame(inSlot: slot)
        }
        counters.neighboursResolved &+= 1
        record(.neighbourResolved(neighbour, hardwareAddress, requestsSent: requestsSent, elapsed: elapsed))
    }

    private func handleIPv4(_ ethernet: EthernetFrame<UnsafeRawPointer>, _ packet: IPv4Packet<UnsafeRawPointer>, flags: FrameFlags,
                            now: UInt64) {
        guard packet.protocolNumber == .icmp else { return count(.unsupportedProtocol) }
        let message: ICMPv4Packet<UnsafeRawPointer>
        let header: ICMPv4Repr
        do {
            message = try ICMPv4Packet(checking: packet.payloadBase, length: packet.payloadLength)
        } catch {
            return count(.malformed)
        }
        do {
            // A checksum the kernel verified, or left to offload (local, trusted data), is not checked again.
            header = try ICMPv4Repr(parsing: message, verifyChecksum: flags.isDisjoint(with: [.checksumVerified, .checksumPartial]))
        } catch {
            return count(.badICMPChecksum)
        }
        switch header {
        case let .echoRequest(identifier, sequenceNumber):
            answerEchoRequest(ethernet, packet, message, identifier: identifier, sequenceNumber: sequenceNumber)
        case let .echoReply(identifier, sequenceNumber):
            acceptEchoReply(packet, message, identifier: identifier, sequenceNumber: sequenceNumber, now: now)
        case let .other(type, _, _):
            count(Self.isICMPError(type) ? .icmpError : .icmpUnsupportedType)
        }
    }

    private func answerEchoRequest(_ ethernet: EthernetFrame<UnsafeRawPointer>, _ packet: IPv4Packet<UnsafeRawPointer>,
                                   _ message: ICMPv4Packet<UnsafeRawPointer>, identifier: UInt16, sequenceNumber: UInt16) {
        let source = packet.source
        guard (try? routingTable.nextHop(for: source)) != nil else { return count(.noRouteToSource) }
        // The reply goes back the way the request came: to its Ethernet source.
        let ip = IPv4Repr(source: address, destination: source, protocolNumber: .icmp, payloadLength: 0,
                          timeToLive: configuration.timeToLive, identification: takeIdentification())
        let headers = FrameHeaders(ethernet: EthernetRepr(destination: ethernet.source, source: macAddress, etherType: .ipv4),
                                   network: .ipv4(ip, .icmp(.echoReply(identifier: identifier, sequenceNumber: sequenceNumber))))
        if transmit(headers, payload: message.payload) { counters.echoRequestsAnswered &+= 1 }
    }

    private func acceptEchoReply(_ packet: IPv4Packet<UnsafeRawPointer>, _ message: ICMPv4Packet<UnsafeRawPointer>,
                                 identifier: UInt16, sequenceNumber: UInt16, now: UInt64) {
        guard identifier == configuration.echoIdentifier,
              let request = echoRequests.match(packet.source, sequenceNumber: sequenceNumber) else {
            return count(.unmatchedEchoReply)
        }
        counters.echoRepliesReceived &+= 1
        let roundTrip = now >= request.sentAt ? now - request.sentAt : 0
        record(.echoReplyReceived(EchoReply(source: packet.source, sequenceNumber: sequenceNumber, payloadLength: message.payloadLength,
                                            timeToLive: packet.timeToLive, roundTripTime: roundTrip)))
    }

    /// ICMP error messages (RFC 792, RFC 1812): destination unreachable, source quench, redirect,
    /// time exceeded, parameter problem.
    private static func isICMPError(_ type: UInt8) -> Bool {
        switch type {
        case 3, 4, 5, 11, 12: true
        default: false
        }
    }
}
