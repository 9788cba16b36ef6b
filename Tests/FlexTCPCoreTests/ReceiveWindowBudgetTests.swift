import FlexPort
import FlexWire
import Testing
@testable import FlexTCPCore

@Suite("Receive-window budget and receive-ring plan")
struct ReceiveWindowBudgetTests {
    /// Installs flows `flows` on B as copies of its flow 0 (other remote ports, same rings; they never receive).
    private func installIdleFlows(_ flows: ClosedRange<FlowIndex>, on pair: FastPathPair) throws {
        let base = try #require(pair.b.state(of: 0))
        for flow in flows {
            var state = base
            state.remotePort = 41000 &+ UInt16(flow)
            try pair.b.install(flow: flow, state: state, now: pair.clock.now())
        }
    }

    /// The window A learns from B's ACK of a 1000-byte segment (B's ring is then 1000 bytes short of empty).
    private func windowAfterSmallSegment(_ pair: FastPathPair, seed: UInt64) throws -> UInt32 {
        pair.receivedByB.removeAll()
        pair.transfer(FastPathPair.pattern(count: 1000, seed: seed), from: pair.a)
        pair.run(maximumRounds: 3) { false }
        return try #require(pair.a.state(of: 0)).peerWindow
    }

    @Test("windows shrink to the budget's share as flows start receiving; data sent under a larger window is kept")
    func shareFollowsReceivingFlows() throws {
        let pair = try FastPathPair(windowShift: 1, receiveWindowBudget: 96 * 1024)
        #expect(pair.b.receivingFlows == 1 && pair.b.receiveWindowLimit == 96 * 1024)

        // A sends its whole 64 KiB window; B gets three more receiving flows before it reads any of it.
        let data = FastPathPair.pattern(count: 64 * 1024, seed: 41)
        #expect(pair.send(data[...], from: pair.a) == data.count)
        pair.a.transmit(now: pair.clock.now(), maximumSegments: 100)
        try installIdleFlows(1...3, on: pair)
        #expect(pair.b.receivingFlows == 4 && pair.b.receiveWindowLimit == 24 * 1024)
        pair.run { pair.receivedByB.count >= data.count }
        #expect(sameBytes(pair.receivedByB, data))
        #expect(pair.b.frames(withVerdict: .outOfWindow) == 0, "nothing sent within the old window was refused")
        #expect(pair.timeouts == 0)
        #expect(try windowAfterSmallSegment(pair, seed: 44) == 24 * 1024)

        // Two flows go: the share grows again with the next ACK.
        pair.b.remove(flow: 2)
        pair.b.remove(flow: 3)
        #expect(pair.b.receivingFlows == 2 && pair.b.receiveWindowLimit == 48 * 1024)
        #expect(try windowAfterSmallSegment(pair, seed: 42) == 48 * 1024)
    }

    @Test("a flow whose peer finished stops taking a share, once")
    func finishedFlowsLeaveTheShare() throws {
        let pair = try FastPathPair(windowShift: 1, receiveWindowBudget: 60 * 1024)
        try installIdleFlows(1...2, on: pair)
        #expect(pair.b.receivingFlows == 3 && pair.b.receiveWindowLimit == 20 * 1024)
        #expect(pair.a.closeTransmission(flow: 0, now: pair.clock.now()))
        pair.run { pair.b.state(of: 0)?.closeFlags.contains(.peerFinished) == true }
        #expect(pair.b.receivingFlows == 2 && pair.b.receiveWindowLimit == 30 * 1024)
        pair.b.remove(flow: 0)
        #expect(pair.b.receivingFlows == 2, "a finished flow is not counted out twice")
        pair.b.remove(flow: 1)
        pair.b.remove(flow: 2)
        #expect(pair.b.receivingFlows == 0 && pair.b.receiveWindowLimit == 60 * 1024)
    }

    @Test("the share never falls below the minimum window; without a budget the whole ring is offered")
    func bounds() throws {
        let tight = try FastPathPair(windowShift: 1, receiveWindowBudget: 16 * 1024)
        try installIdleFlows(1...3, on: tight)
        #expect(tight.b.receiveWindowLimit == FastPath.minimumReceiveWindow)
        let state = try #require(tight.b.state(of: 0))
        #expect(state.advertisedWindow(limitedTo: tight.b.receiveWindowLimit) == UInt16(FastPath.minimumReceiveWindow >> 1))

        let open = try FastPathPair(windowShift: 1)
        try installIdleFlows(1...3, on: open)
        #expect(open.b.receiveWindowLimit == .max)
        #expect(try windowAfterSmallSegment(open, seed: 43) == FastPathPair.ringSize - 1000)
    }

    static let slot = 65_792

    @Test("the ring covers every full window when memory allows, plus a quarter for other frames")
    func planCoversWindows() {
        let plan = ReceiveRingPlan(flowCapacity: 100, receiveWindow: 32 * 1024, segmentSize: 1448, slotBytes: Self.slot,
                                   memoryLimit: 1 << 30)
        // 100 × 32 KiB needs 2,263 segments of 1448 bytes; 755 more slots for ACKs and the like.
        #expect(plan.frameCount == 2263 + 755)
        #expect(plan.windowBudget == nil)
        let small = ReceiveRingPlan(flowCapacity: 1, receiveWindow: 4096, segmentSize: 1448, slotBytes: Self.slot, memoryLimit: 1 << 30)
        #expect(small.frameCount == ReceiveRingPlan.minimumFrameCount && small.windowBudget == nil)
    }

    @Test("within a memory limit the ring is cut and the windows get a budget of what its data slots hold")
    func planWithinMemory() {
        let plan = ReceiveRingPlan(flowCapacity: 256, receiveWindow: 256 * 1024, segmentSize: 1448, slotBytes: Self.slot,
                                   memoryLimit: 128 << 20)
        #expect(plan.frameCount == (128 << 20) / Self.slot)
        #expect(plan.windowBudget == UInt64(plan.frameCount - plan.frameCount / 4) * 1448)
        let starved = ReceiveRingPlan(flowCapacity: 10, receiveWindow: 1 << 20, segmentSize: 1448, slotBytes: Self.slot,
                                      memoryLimit: 0)
        #expect(starved.frameCount == ReceiveRingPlan.minimumFrameCount)
        #expect(starved.windowBudget == 48 * 1448)
        let nonsense = ReceiveRingPlan(flowCapacity: 0, receiveWindow: 0, segmentSize: 0, slotBytes: 0, memoryLimit: -1)
        #expect(nonsense.frameCount == ReceiveRingPlan.minimumFrameCount)
    }
}
