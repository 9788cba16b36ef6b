import FlexPort
import FlexTCP
import FlexTCPCore
import FlexTestSupport
import FlexWire
import Testing

/// One runtime at 198.18.0.1 on end A of a `TestWire` (end B stays silent), stepped on the test's
/// thread at virtual time, with two contexts: context 0 used through `Context`, context 1 through
/// a raw `ApplicationContextEndpoint`, as a hostile or buggy library would write its queues.
private final class LoneRuntime {
    let link: TestWire
    let runtime: StackRuntime

    init() throws {
        link = try TestWire(capacity: 64)
        runtime = try TestRuntimes.make(port: link.portA, interface: TestWire.interfaceA, contextCount: 2)
    }

    /// Steps the runtime, then `poll`, 100 µs of virtual time per round, until `done` or 10,000 rounds.
    private func run(poll: () -> Void, until done: () -> Bool) {
        link.run(step: 100_000, maximumRounds: 10_000, until: done) { now in
            _ = runtime.step(now: now)
            poll()
            return true
        }
    }

    /// Steps the runtime with end B played by hand: A's ARP requests for B's address are answered,
    /// and `segment` gets every TCP segment A sends; until `done` or the rounds run out.
    func playPeer(until done: () -> Bool, segment: (TCPSegmentRepr) -> Void) {
        run(poll: {
            for headers in link.framesArrivedAtB() {
                switch headers.network {
                case .arp(let request) where request.operation == .request && request.targetProtocolAddress == TestWire.addressB:
                    let reply = FrameHeaders(ethernet: EthernetRepr(destination: request.senderHardwareAddress, source: link.wire.b.macAddress,
                                                                    etherType: .arp),
                                             network: .arp(ARPRepr(operation: .reply, senderHardwareAddress: link.wire.b.macAddress,
                                                                   senderProtocolAddress: TestWire.addressB,
                                                                   targetHardwareAddress: request.senderHardwareAddress,
                                                                   targetProtocolAddress: request.senderProtocolAddress)))
                    #expect((try? reply.frame()).map { link.wire.b.transmit($0) } == true)
                case .ipv4(_, .tcp(let sent)):
                    segment(sent)
                default:
                    break
                }
            }
        }, until: done)
    }

    /// Steps the runtime as B until A sends a SYN; returns it.
    func synFromA() throws -> TCPSegmentRepr {
        var syn: TCPSegmentRepr?
        playPeer(until: { syn != nil }) { if $0.flags == .syn { syn = $0 } }
        return try #require(syn)
    }

    /// Puts B's `segment` on the wire to A.
    func send(_ segment: TCPSegmentRepr) throws {
        #expect(link.wire.b.transmit(try link.frameToA(segment)))
    }

    /// Answers A's `syn` with B's SYN-ACK and, right behind it, an RST at RCV.NXT (the SYN-ACK's
    /// sequence + 1), which resets the connection the SYN-ACK established (RFC 9293 §3.10.7.4,
    /// RFC 5961 §3); A does not step meanwhile.
    func acceptAndReset(_ syn: TCPSegmentRepr) throws {
        let sequence = SequenceNumber(70_000)
        try send(TCPSegmentRepr(sourcePort: syn.destinationPort, destinationPort: syn.sourcePort, sequenceNumber: sequence,
                                acknowledgmentNumber: syn.sequenceNumber + 1, flags: [.syn, .ack], window: 1000))
        try send(TCPSegmentRepr(sourcePort: syn.destinationPort, destinationPort: syn.sourcePort, sequenceNumber: sequence + 1, flags: .rst,
                                window: 0))
    }

    /// Polls `context` until `count` events arrived or the rounds run out.
    func events(from context: Context, count: Int) -> [ContextEvent] {
        var events: [ContextEvent] = []
        run(poll: { context.poll { events.append($0) } }, until: { events.count >= count })
        return events
    }

    /// Polls the raw endpoint's event queue and receive queue until `count` entries arrived.
    func entries(from endpoint: ApplicationContextEndpoint, count: Int) -> (events: [SlowPathEvent], flow: [ReceiveQueueEntry]) {
        var events = [SlowPathEvent](repeating: .closed(opaque: 0, flow: 0, reason: .reset), count: 8)
        var flow = [ReceiveQueueEntry](repeating: .closed(opaque: 0, flow: 0, reason: .reset), count: 8)
        var taken: (events: [SlowPathEvent], flow: [ReceiveQueueEntry]) = ([], [])
        run(poll: {
            let eventCount = events.withUnsafeMutableBufferPointer { endpoint.pollEvents(into: $0) }
            let flowCount = flow.withUnsafeMutableBufferPointer { endpoint.poll(into: $0) }
            taken.events += events.prefix(eventCount)
            taken.flow += flow.prefix(flowCount)
        }, until: { taken.events.count + taken.flow.count >= count })
        return taken
    }
}

@Suite("Stack runtime refusals")
struct RuntimeRefusalTests {
    @Test("Listen, accept and connect requests the runtime cannot honour complete with a status (stepped runtime)")
    func refusedRequests() throws {
        let lone = try LoneRuntime()
        let context = try Context(attachment: lone.runtime.attachment(for: 0))
        let first = context.listen(on: 9)
        let duplicate = context.listen(on: 9)
        let portZero = context.listen(on: 0)
        // 198.18.5.5 is outside the interface's /24 and there is no gateway.
        let unreachable = context.connect(to: IPv4Address(198, 18, 5, 5), port: 9)
        // Each handle's outcome: nil for success, else the error.
        var outcomes: [ObjectIdentifier: TCPError?] = [:]
        for event in lone.events(from: context, count: 4) {
            switch event {
            case .listening(let listener): outcomes[ObjectIdentifier(listener)] = .some(nil)
            case .listenFailed(let listener, let error): outcomes[ObjectIdentifier(listener)] = error
            case .connected(let connection): outcomes[ObjectIdentifier(connection)] = .some(nil)
            case .connectFailed(let connection, let error): outcomes[ObjectIdentifier(connection)] = error
            default: Issue.record("unexpected event \(event)")
            }
        }
        #expect(outcomes[ObjectIdentifier(first)] == .some(nil))
        #expect(outcomes[ObjectIdentifier(duplicate)] == .addressInUse)
        #expect(outcomes[ObjectIdentifier(portZero)] == .invalidArgument)
        #expect(outcomes[ObjectIdentifier(unreachable)] == .unreachable)
    }

    @Test("A connect whose SYN-ACK and reset arrive in one receive batch fails with the reset's status (stepped runtime)")
    func connectResetInTheHandshakeBatch() throws {
        let lone = try LoneRuntime()
        let context = try Context(attachment: lone.runtime.attachment(for: 0))
        let connection = context.connect(to: TestWire.addressB, port: 80)
        let request = try lone.synFromA()

        // Both reach A's slow path in one receive batch, before the runtime drains its connection events.
        try lone.acceptAndReset(request)

        let events = lone.events(from: context, count: 1)
        #expect(lone.runtime.slowPathCounters.resetsAccepted == 1)
        guard case .connectFailed(let failed, let error) = try #require(events.first) else {
            Issue.record("expected the connect to fail, got \(events)")
            return
        }
        #expect(failed === connection && error == .refused)
    }

    @Test("A connect reset in the batch whose handshake ACK reuses its flow index for a passive connection fails; the accept gets that connection")
    func connectResetWhileItsFlowIndexIsReused() throws {
        let lone = try LoneRuntime()
        let context = try Context(attachment: lone.runtime.attachment(for: 0))
        let listener = context.listen(on: 9)
        #expect(lone.events(from: context, count: 1).count == 1)
        let acceptance = try #require(context.accept(on: listener))
        // B's passive open, up to A's SYN-ACK: its final ACK waits.
        try lone.send(TCPSegmentRepr(sourcePort: 4000, destinationPort: 9, sequenceNumber: SequenceNumber(1000), flags: .syn, window: 1000))
        var passiveSynAck: TCPSegmentRepr?
        lone.playPeer(until: { passiveSynAck != nil }) { if $0.flags == [.syn, .ack] && $0.destinationPort == 4000 { passiveSynAck = $0 } }
        let acceptedSynAck = try #require(passiveSynAck)
        let connection = context.connect(to: TestWire.addressB, port: 80)
        let request = try lone.synFromA()

        // One receive batch: the connect is established and reset, which frees its flow index; the
        // passive open then completes and takes that index (the slow path's free indices are a stack).
        try lone.acceptAndReset(request)
        try lone.send(TCPSegmentRepr(sourcePort: 4000, destinationPort: 9, sequenceNumber: SequenceNumber(1001),
                                     acknowledgmentNumber: acceptedSynAck.sequenceNumber + 1, flags: .ack, window: 1000))

        let events = lone.events(from: context, count: 3)
        #expect(lone.runtime.slowPathCounters.resetsAccepted == 1)
        #expect(events.contains { if case .connectFailed(let failed, .refused) = $0 { failed === connection } else { false } })
        #expect(events.contains { if case .accepted(let opened) = $0 { opened === acceptance } else { false } })
    }

    @Test("Entries naming flows or listeners a context does not own are answered, never applied (stepped runtime)")
    func hostileEntries() throws {
        let lone = try LoneRuntime()
        let attachment = lone.runtime.attachment(for: 1)
        let endpoint = ApplicationContextEndpoint(queues: try attachment.region.queues(1), signals: attachment.region.signals(1))
        #expect(endpoint.submit(.accept(listener: 99, opaque: 7)))
        #expect(endpoint.submit(.close(flow: 3)))
        #expect(endpoint.submit(.move(flow: 1_000_000, context: 0)))
        #expect(endpoint.send(flow: 3, opaque: 0, bytes: 100))
        #expect(endpoint.free(flow: 1_000_000, opaque: 0, bytes: 1))
        endpoint.flush()

        let taken = lone.entries(from: endpoint, count: 5)
        #expect(taken.events.count == 3 && taken.flow.count == 2)
        #expect(taken.events.contains(.accepted(OpenedConnection(opaque: 7, flow: 0, status: .noSuchListener))))
        let refusedRequests = taken.events.compactMap { if case .rejected(let rejection) = $0 { rejection } else { nil } }
        #expect(Set(refusedRequests.map(\.rejectedType)) == [ContextQueueLayout.EntryType.close, ContextQueueLayout.EntryType.move])
        #expect(refusedRequests.allSatisfy { $0.reason == .flowNotOwned })
        let refusedUpdates = taken.flow.compactMap { if case .rejected(let rejection) = $0 { rejection.reason } else { nil } }
        #expect(refusedUpdates.sorted { $0.rawValue < $1.rawValue } == [.flowOutOfRange, .flowNotOwned])
    }
}
