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
    func run(poll: () -> Void, until done: () -> Bool) {
        link.run(step: 100_000, maximumRounds: 10_000, until: done) { now in
            _ = runtime.step(now: now)
            poll()
            return true
        }
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
        let link = lone.link
        let context = try Context(attachment: lone.runtime.attachment(for: 0))
        let connection = context.connect(to: TestWire.addressB, port: 80)
        // End B played by hand: answer A's ARP request, then take its SYN (and stop stepping A).
        var syn: TCPSegmentRepr?
        lone.run(poll: {
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
                case .ipv4(_, .tcp(let segment)) where segment.flags == .syn:
                    syn = segment
                default:
                    break
                }
            }
        }, until: { syn != nil })
        let request = try #require(syn)

        // The SYN-ACK and, right behind it, an RST at RCV.NXT (the SYN-ACK's sequence + 1), which
        // resets the connection the SYN-ACK established (RFC 9293 §3.10.7.4, RFC 5961 §3): both reach
        // A's slow path in one receive batch, before the runtime drains its connection events.
        let peerSequence = SequenceNumber(70_000)
        let synAck = TCPSegmentRepr(sourcePort: 80, destinationPort: request.sourcePort, sequenceNumber: peerSequence,
                                    acknowledgmentNumber: request.sequenceNumber + 1, flags: [.syn, .ack], window: 1000)
        let reset = TCPSegmentRepr(sourcePort: 80, destinationPort: request.sourcePort, sequenceNumber: peerSequence + 1, flags: .rst, window: 0)
        #expect(link.wire.b.transmit(try link.frameToA(synAck)))
        #expect(link.wire.b.transmit(try link.frameToA(reset)))

        let events = lone.events(from: context, count: 1)
        #expect(lone.runtime.slowPathCounters.resetsAccepted == 1)
        guard case .connectFailed(let failed, let error) = try #require(events.first) else {
            Issue.record("expected the connect to fail, got \(events)")
            return
        }
        #expect(failed === connection && error == .refused)
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
