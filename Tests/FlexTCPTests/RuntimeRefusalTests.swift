import FlexPort
import FlexTCP
import FlexTCPCore
import FlexWire
import Testing

/// One started runtime (the wire's other end stays silent) with two contexts: context 0 used
/// through `Context`, context 1 through a raw `ApplicationContextEndpoint`, as a hostile or buggy
/// library would write its queues.
private final class LoneRuntime {
    let wire: MemoryWire
    let runtime: StackRuntime

    init(schedule: StackRuntime.Schedule) throws {
        wire = try MemoryWire(capacity: 64, maximumFrameLength: 1514)
        runtime = try StackRuntime(port: wire.a, configuration: RuntimePair.configuration("198.18.0.1/24"), contextCount: 2,
                                   schedule: schedule)
        try runtime.start()
    }

    /// Polls `context` until `count` events arrived or the deadline passes.
    func events(from context: Context, count: Int, deadline: Deadline) -> [ContextEvent] {
        var events: [ContextEvent] = []
        while events.count < count && !deadline.hasPassed {
            if context.poll({ events.append($0) }) == 0 { context.wait(timeout: .milliseconds(10)) }
        }
        return events
    }

    /// Polls the raw endpoint's event queue and receive queue until `count` entries arrived.
    func entries(from endpoint: ApplicationContextEndpoint, count: Int, deadline: Deadline) -> (events: [SlowPathEvent], flow: [ReceiveQueueEntry]) {
        var events = [SlowPathEvent](repeating: .closed(opaque: 0, flow: 0, reason: .reset), count: 8)
        var flow = [ReceiveQueueEntry](repeating: .closed(opaque: 0, flow: 0, reason: .reset), count: 8)
        var taken: (events: [SlowPathEvent], flow: [ReceiveQueueEntry]) = ([], [])
        while taken.events.count + taken.flow.count < count && !deadline.hasPassed {
            let eventCount = events.withUnsafeMutableBufferPointer { endpoint.pollEvents(into: $0) }
            let flowCount = flow.withUnsafeMutableBufferPointer { endpoint.poll(into: $0) }
            taken.events += events.prefix(eventCount)
            taken.flow += flow.prefix(flowCount)
            if eventCount + flowCount == 0 { _ = endpoint.wait(timeoutNanoseconds: 10_000_000) }
        }
        return taken
    }
}

@Suite("Stack runtime refusals")
struct RuntimeRefusalTests {
    @Test("Listen, accept and connect requests the runtime cannot honour complete with a status", arguments: StackRuntime.Schedule.threaded)
    func refusedRequests(schedule: StackRuntime.Schedule) throws {
        let lone = try LoneRuntime(schedule: schedule)
        defer { lone.runtime.stop() }
        let deadline = Deadline(seconds: 20)
        let context = try Context(attachment: lone.runtime.attachment(for: 0))
        let first = context.listen(on: 9)
        let duplicate = context.listen(on: 9)
        let portZero = context.listen(on: 0)
        // 198.18.5.5 is outside the interface's /24 and there is no gateway.
        let unreachable = context.connect(to: IPv4Address(198, 18, 5, 5), port: 9)
        // Each handle's outcome: nil for success, else the error.
        var outcomes: [ObjectIdentifier: TCPError?] = [:]
        for event in lone.events(from: context, count: 4, deadline: deadline) {
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

    @Test("Entries naming flows or listeners a context does not own are answered, never applied", arguments: StackRuntime.Schedule.threaded)
    func hostileEntries(schedule: StackRuntime.Schedule) throws {
        let lone = try LoneRuntime(schedule: schedule)
        defer { lone.runtime.stop() }
        let attachment = lone.runtime.attachment(for: 1)
        let endpoint = ApplicationContextEndpoint(queues: try attachment.region.queues(1), signals: attachment.region.signals(1))
        #expect(endpoint.submit(.accept(listener: 99, opaque: 7)))
        #expect(endpoint.submit(.close(flow: 3)))
        #expect(endpoint.submit(.move(flow: 1_000_000, context: 0)))
        #expect(endpoint.send(flow: 3, bytes: 100))
        #expect(endpoint.free(flow: 1_000_000, bytes: 1))
        endpoint.flush()

        let taken = lone.entries(from: endpoint, count: 5, deadline: Deadline(seconds: 20))
        #expect(taken.events.count == 3 && taken.flow.count == 2)
        #expect(taken.events.contains(.accepted(OpenedConnection(opaque: 7, flow: 0, status: .noSuchListener))))
        let refusedRequests = taken.events.compactMap { if case .rejected(let rejection) = $0 { rejection } else { nil } }
        #expect(Set(refusedRequests.map(\.rejectedType)) == [ContextQueueLayout.EntryType.close, ContextQueueLayout.EntryType.move])
        #expect(refusedRequests.allSatisfy { $0.reason == .flowNotOwned })
        let refusedUpdates = taken.flow.compactMap { if case .rejected(let rejection) = $0 { rejection.reason } else { nil } }
        #expect(refusedUpdates.sorted { $0.rawValue < $1.rawValue } == [.flowOutOfRange, .flowNotOwned])
    }
}
