import FlexPort
import FlexTCP
@testable import FlexTCPCore
import FlexTestSupport
import Testing

@Suite("Rejection reports that wait for event-queue room")
struct HeldRejectionTests {
    @Test("A hostile request queue with the event queue full: the held report is published once the application makes room, in rounds where nothing else is posted, and every bad slot is counted once")
    func heldReportIsPublishedWhenRoomAppears() throws {
        let link = try TestWire(capacity: 64)
        let runtime = try TestRuntimes.make(port: link.portA, interface: TestWire.interfaceA, contextCount: 1)
        let attachment = runtime.attachment(for: 0)
        let queues = try attachment.region.queues(0)
        let application = ApplicationContextEndpoint(queues: queues, signals: attachment.region.signals(0))
        let requests = queues.requests
        let eventSlots = queues.events.slotCount
        // One slot of length 0 per round (a slot the consumer skips and reports), for more rounds
        // than the event queue has slots; the application does not poll its events meanwhile.
        let badSlots = eventSlots + 5
        var published = 0
        link.run(step: 100_000, maximumRounds: badSlots, until: { false }) { now in
            let index = requests.producerIndex.load(ordering: .relaxed)
            requests.slot(index).storeBytes(of: UInt32(0), toByteOffset: FrameRingLayout.slotLengthOffset, as: UInt32.self)
            requests.producerIndex.store(index &+ 1, ordering: .releasing)
            published += 1
            _ = runtime.step(now: now)
            return true
        }
        #expect(published == badSlots)
        // Quiet application, busy runtime: the report that found the queue full stays held.
        link.run(step: 100_000, maximumRounds: 20, until: { false }) { now in runtime.step(now: now) || true }

        var reported: UInt64 = 0
        var reports = 0
        var events = [SlowPathEvent](repeating: .closed(opaque: 0, flow: 0, reason: .reset), count: 16)
        let drain = {
            while true {
                let count = events.withUnsafeMutableBufferPointer { application.pollEvents(into: $0) }
                for case .rejected(let rejection) in events.prefix(count) {
                    reports += 1
                    reported += 1 + UInt64(rejection.repeats)
                }
                if count == 0 { break }
            }
        }
        drain()
        #expect(reports == eventSlots, "the full event queue held \(reports) reports")
        link.run(step: 100_000, maximumRounds: 20, until: { false }) { now in
            _ = runtime.step(now: now)
            drain()
            return true
        }
        #expect(reports == eventSlots + 1, "the held report came once there was room")
        #expect(reported == UInt64(badSlots), "every bad slot counted once: \(reported) of \(badSlots)")
        #expect(runtime.slowPathContexts.requestEndpoints[0].rejectedEntries == UInt64(badSlots))
    }
}
