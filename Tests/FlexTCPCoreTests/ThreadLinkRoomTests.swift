import FlexPort
import FlexTestSupport
import Testing
@testable import FlexTCPCore

@Suite("Rings between the fast-path and slow-path threads")
struct ThreadLinkRoomTests {
    @Test("Commands waiting for ring room: the slow path asks for a signal and the fast path gives it once it takes commands")
    func commandRoomWakesTheSlowPath() throws {
        let link = try TestWire()
        let configuration = try TestRuntimes.configuration(TestWire.interfaceA)
        let region = try ContextRegion(count: 1, capacities: ContextQueueCapacities(), separateSlowPathSignal: true)
        let payloadRegion = PayloadRegion(size: configuration.payloadRegionSize)
        let fast = try FastPathRound(port: link.portA, configuration: configuration, payloadRegion: payloadRegion, region: region,
                                     served: ServedContexts(total: region.count, servingAll: true))
        let rings = try ThreadLinkRings(slots: 2, maximumFrameLength: link.portA.maximumFrameLength, flowCapacity: configuration.flowCapacity,
                                        fastPathSignal: region.service, slowPathSignal: region.slowPathService)
        let slowEnd = FastPathLink(fastPath: fast.fastPath, rings: rings)
        let fastEnd = SlowPathLink(control: fast.control, port: link.portA, rings: rings)

        for ticket in 1...6 as ClosedRange<UInt32> { slowEnd.fence(ticket: ticket) }
        #expect(slowEnd.waitingCommands == 4, "two fit in the ring")
        _ = region.slowPathService.wait(timeoutNanoseconds: 0)
        #expect(!slowEnd.requestRoomForWaitingCommands(), "no room yet: the slow path would sleep")
        #expect(!region.slowPathService.wait(timeoutNanoseconds: 0))

        fastEnd.takeCommands()
        #expect(fastEnd.applyCommands(now: 0) == 2)
        #expect(region.slowPathService.wait(timeoutNanoseconds: 0), "taking commands signals the waiting slow path")
        #expect(slowEnd.requestRoomForWaitingCommands() == false && slowEnd.waitingCommands == 2)
        fastEnd.takeCommands()
        #expect(fastEnd.applyCommands(now: 0) == 2)
        #expect(slowEnd.requestRoomForWaitingCommands() && slowEnd.waitingCommands == 0)
    }
}
