@testable import FlexTCPCore
import Testing

/// A stand-in fast path that lets the application publish one more entry each time an entry is
/// applied (`refills` times), as an application on another thread may do during a drain.
private final class RefillingTarget: TransmitQueueTarget {
    let stand = StandInTarget()
    let application: ApplicationContextEndpoint
    var refills: Int

    init(application: ApplicationContextEndpoint, refills: Int) {
        self.application = application
        self.refills = refills
    }

    var flowCapacity: Int { stand.flowCapacity }
    func delivery(ofInstalledFlow flow: FlowIndex) -> FlowBinding? { stand.delivery(ofInstalledFlow: flow) }
    func applicationFreed(flow: FlowIndex, bytes: UInt32, now: UInt64) -> Bool { stand.applicationFreed(flow: flow, bytes: bytes, now: now) }

    func applicationQueued(flow: FlowIndex, bytes: UInt32, now: UInt64) -> Bool {
        if refills > 0 {
            refills -= 1
            application.send(flow: flow, opaque: 0, bytes: 1)
            application.flush()
        }
        return stand.applicationQueued(flow: flow, bytes: bytes, now: now)
    }
}

@Suite("Context queue drains")
struct ContextQueueDrainBoundTests {
    /// One read of the producer index per drain: a producer publishing while the fast path drains
    /// cannot keep it draining; what it published is taken by the next drains, in order.
    @Test func entriesPublishedDuringADrainWaitForTheNext() throws {
        let fixture = try ContextQueueFixture()
        let target = RefillingTarget(application: fixture.application, refills: 5)
        #expect(fixture.application.send(flow: 1, opaque: 0, bytes: 10))
        #expect(fixture.application.send(flow: 2, opaque: 0, bytes: 20))
        fixture.application.flush()
        #expect(fixture.fastPath.drainTransmitQueue(into: target, now: 0) == 2)
        #expect(target.stand.applied.map(\.sent) == [10, 20])
        // Two were published during the first drain; each drain applies what it saw when it began.
        #expect(fixture.fastPath.drainTransmitQueue(into: target, now: 0) == 2)
        #expect(fixture.fastPath.drainTransmitQueue(into: target, now: 0) == 2)
        #expect(fixture.fastPath.drainTransmitQueue(into: target, now: 0) == 1)
        #expect(fixture.fastPath.drainTransmitQueue(into: target, now: 0) == 0)
        #expect(target.stand.applied.map(\.flow) == [1, 2, 1, 2, 1, 2, 1])
        #expect(fixture.fastPath.rejectedEntries == 0)
    }
}
