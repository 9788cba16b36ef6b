import FlexPort
import FlexWire

/// What became of a frame handed to a network host for sending.
package enum SendOutcome: Hashable, Sendable {
    /// Written to the port.
    case sent
    /// Kept until its next hop's address is resolved; sent then, or dropped if resolution fails.
    case waitingForNeighbour
    /// Not sent, counted under the reason.
    case dropped(DropReason)
}

/// The Ethernet address to send to for a destination, as far as it is known yet.
package enum NeighbourResolution: Hashable, Sendable {
    case resolved(MACAddress)
    /// ARP requests are out; the answer arrives as `NetworkEvent.neighbourResolved` (or `.neighbourUnreachable`).
    case pending
    /// Every neighbour-table entry is being resolved; try again later.
    case tableFull
}

// Sending: routing, resolution, echo requests, ARP requests and announcements.
extension NetworkHost {
    /// The Ethernet address of the next hop for `destination`, starting (or refreshing) its
    /// resolution when needed. Throws when there is no route.
    package func resolveNeighbour(for destination: IPv4Address, now: UInt64) throws(NetworkError) -> NeighbourResolution {
        let nextHop = try routingTable.nextHop(for: destination)
        defer { flushTransmits() }
        switch resolver.resolve(nextHop, now: now) {
        case let .known(hardwareAddress):
            return .resolved(hardwareAddress)
        case let .knownStale(hardwareAddress):
            sendARPRequest(for: nextHop)
            return .resolved(hardwareAddress)
        case .started:
            sendARPRequest(for: nextHop)
            return .pending
        case .inProgress:
            return .pending
        case .cacheFull:
            return .tableFull
        }
    }

    /// Sends `frame`, a whole Ethernet frame for IPv4 `destination`, to its next hop: its Ethernet
    /// addresses are filled in (destination: the next hop's, source: this host's). When the next hop is
    /// being resolved the frame waits (a bounded number per neighbour). Throws for no route or a
    /// frame length the port cannot send; other failures are counted drops.
    @discardableResult
    package func send(_ frame: UnsafeRawBufferPointer, to destination: IPv4Address, now: UInt64) throws(NetworkError) -> SendOutcome {
        guard frame.count >= EthernetRepr.untaggedHeaderLength, frame.count <= port.maximumFrameLength else {
            throw .unsendableFrameLength(frame.count, maximum: port.maximumFrameLength)
        }
        let nextHop = try routingTable.nextHop(for: destination)
        defer { flushTransmits() }
        switch resolver.resolve(nextHop, now: now) {
        case let .known(hardwareAddress):
            return transmitFrame(copying: frame, to: hardwareAddress)
        case let .knownStale(hardwareAddress):
            sendARPRequest(for: nextHop)
            return transmitFrame(copying: frame, to: hardwareAddress)
        case .started:
            sendARPRequest(for: nextHop)
            return wait(frame, for: nextHop)
        case .inProgress:
            return wait(frame, for: nextHop)
        case .cacheFull:
            count(.neighbourTableFull)
            return .dropped(.neighbourTableFull)
        }
    }

    /// Sends an ICMP echo request with `payloadLength` data bytes (0, 1, 2, ...) and this host's echo
    /// identifier; its reply (`NetworkEvent.echoReplyReceived`) or timeout (`.echoRequestTimedOut`,
    /// `timeout` after `now`) is reported later. Throws, sending nothing, for no route, a payload
    /// too long for the port, too many outstanding requests or a request already outstanding.
    @discardableResult
    package func sendEchoRequest(to destination: IPv4Address, sequenceNumber: UInt16, payloadLength: Int = 56,
                                timeout: UInt64 = 1_000_000_000, now: UInt64) throws(NetworkError) -> SendOutcome {
        let headerLength = EthernetRepr.untaggedHeaderLength + IPv4Repr.headerLength + ICMPv4Repr.headerLength
        guard payloadLength >= 0, headerLength + payloadLength <= port.maximumFrameLength else {
            throw .unsendableFrameLength(headerLength + max(0, payloadLength), maximum: port.maximumFrameLength)
        }
        guard echoRequests.count < echoRequests.capacity else {
            throw .tooManyOutstandingEchoRequests(limit: echoRequests.capacity)
        }
        guard !echoRequests.isOutstanding(destination, sequenceNumber: sequenceNumber) else {
            throw .echoRequestOutstanding(destination, sequenceNumber: sequenceNumber)
        }
        _ = try routingTable.nextHop(for: destination)
        let ip = IPv4Repr(source: address, destination: destination, protocolNumber: .icmp, payloadLength: 0,
                          timeToLive: configuration.timeToLive, identification: takeIdentification())
        let headers = FrameHeaders(ethernet: EthernetRepr(destination: .zero, source: macAddress, etherType: .ipv4),
                                   network: .ipv4(ip, .icmp(.echoRequest(identifier: configuration.echoIdentifier,
                                                                         sequenceNumber: sequenceNumber))))
        let payload = UnsafeRawBufferPointer(rebasing: echoPattern[0..<payloadLength])
        guard let length = try? headers.emit(payload: payload, into: scratch) else {
            throw .unsendableFrameLength(headerLength + payloadLength, maximum: port.maximumFrameLength)
        }
        let outcome = try send(UnsafeRawBufferPointer(rebasing: scratch[0..<length]), to: destination, now: now)
        if case .dropped = outcome { return outcome }
        counters.echoRequestsSent &+= 1
        echoRequests.add(EchoRequestTracker.Request(destination: destination, sequenceNumber: sequenceNumber,
                                                    sentAt: now, deadline: now &+ timeout))
        return outcome
    }

    /// Broadcasts a gratuitous ARP request announcing this host's address (RFC 5227 announcement).
    package func announce() {
        if transmitARPRequest(for: address) { counters.arpAnnouncementsSent &+= 1 }
        flushTransmits()
    }

    // MARK: Frames

    /// Broadcasts an ARP request for `target`.
    func sendARPRequest(for target: IPv4Address) {
        if transmitARPRequest(for: target) { counters.arpRequestsSent &+= 1 }
    }

    private func transmitARPRequest(for target: IPv4Address) -> Bool {
        let request = ARPRepr(operation: .request, senderHardwareAddress: macAddress, senderProtocolAddress: address,
                              targetHardwareAddress: .zero, targetProtocolAddress: target)
        let headers = FrameHeaders(ethernet: EthernetRepr(destination: .broadcast, source: macAddress, etherType: .arp),
                                   network: .arp(request))
        return transmit(headers, payload: UnsafeRawBufferPointer(start: nil, count: 0))
    }

    /// Writes the frame of `headers` and `payload` into a transmit slot; counts a drop and returns
    /// false when it is too long for the port or no slot is free.
    func transmit(_ headers: FrameHeaders, payload: UnsafeRawBufferPointer) -> Bool {
        guard headers.frameLength(payloadCount: payload.count) <= port.maximumFrameLength else {
            count(.frameTooLarge)
            return false
        }
        guard let slot = transmitter.reserve() else {
            count(.transmitUnavailable)
            return false
        }
        guard let length = try? headers.emit(payload: payload, into: slot) else {
            count(.frameTooLarge)
            return false
        }
        transmitter.complete(length: length)
        return true
    }

    /// Copies `frame` into a transmit slot with `destination` and this host's address as its
    /// Ethernet addresses.
    func transmitFrame(copying frame: UnsafeRawBufferPointer, to destination: MACAddress) -> SendOutcome {
        guard let slot = transmitter.reserve(), let slotBase = slot.baseAddress, let frameBase = frame.baseAddress,
              frame.count <= slot.count else {
            count(.transmitUnavailable)
            return .dropped(.transmitUnavailable)
        }
        slotBase.copyMemory(from: frameBase, byteCount: frame.count)
        destination.store(to: slotBase + EthernetRepr.Offset.destination)
        macAddress.store(to: slotBase + EthernetRepr.Offset.source)
        transmitter.complete(length: frame.count)
        counters.framesSent &+= 1
        return .sent
    }

    private func wait(_ frame: UnsafeRawBufferPointer, for nextHop: IPv4Address) -> SendOutcome {
        guard resolver.enqueue(frame, for: nextHop) else {
            count(.waitingQueueFull)
            return .dropped(.waitingQueueFull)
        }
        return .waitingForNeighbour
    }
}
