import FlexPort
import FlexWire
@testable import FlexTCPCore
import Testing

/// A stand-in fast path for drain tests: per flow an owner (nil: not installed), the transmit-ring
/// bytes still free and the received bytes the application may free.
final class StandInTarget: TransmitQueueTarget {
    let flowCapacity: Int
    var owners: [UInt16?]
    var transmitFree: [UInt32]
    var receiveHeld: [UInt32]
    /// What was applied, in order.
    var applied: [(flow: FlowIndex, sent: UInt32, freed: UInt32)] = []

    init(flowCapacity: Int = 64, owner: UInt16 = 7, ringSize: UInt32 = 1 << 16) {
        self.flowCapacity = flowCapacity
        owners = Array(repeating: owner, count: flowCapacity)
        transmitFree = Array(repeating: ringSize, count: flowCapacity)
        receiveHeld = Array(repeating: ringSize, count: flowCapacity)
    }

    /// Every installed flow's opaque is 0.
    func delivery(ofInstalledFlow flow: FlowIndex) -> FlowBinding? {
        guard Int(flow) < flowCapacity, let owner = owners[Int(flow)] else { return nil }
        return FlowBinding(context: owner, opaque: 0)
    }

    func applicationFreed(flow: FlowIndex, bytes: UInt32, now: UInt64) -> Bool {
        guard bytes <= receiveHeld[Int(flow)] else { return false }
        receiveHeld[Int(flow)] -= bytes
        applied.append((flow, 0, bytes))
        return true
    }

    func applicationQueued(flow: FlowIndex, bytes: UInt32, now: UInt64) -> Bool {
        guard bytes <= transmitFree[Int(flow)] else { return false }
        transmitFree[Int(flow)] -= bytes
        applied.append((flow, bytes, 0))
        return true
    }
}

private func event(flow: FlowIndex, at position: UInt32, received: UInt32, acknowledged: UInt32 = 0) -> FlowEvent {
    FlowEvent(opaque: 100 + UInt64(flow), flow: flow, context: 7, receivedPosition: position, receivedBytes: received,
              acknowledgedBytes: acknowledged)
}

private func rejections(in entries: [ReceiveQueueEntry]) -> [EntryRejection] {
    entries.compactMap { if case .rejected(let rejection) = $0 { rejection } else { nil } }
}

@Suite struct ContextQueueEndpointTests {
    @Test func validEntriesAreAppliedFreeBeforeSend() throws {
        let fixture = try ContextQueueFixture()
        let target = StandInTarget()
        #expect(fixture.application.send(flow: 3, opaque: 0, bytes: 1000))
        #expect(fixture.application.free(flow: 4, opaque: 0, bytes: 20))
        #expect(fixture.application.submit(TransmitRequest(flow: 5, opaque: 0, sendBytes: 7, freeBytes: 8)))
        #expect(fixture.fastPath.drainTransmitQueue(into: target, now: 0) == 0, "nothing is visible before a flush")
        fixture.application.flush()
        #expect(fixture.fastPath.drainTransmitQueue(into: target, now: 0) == 3)
        #expect(target.applied.map { [$0.flow, $0.sent, $0.freed] } == [[3, 1000, 0], [4, 0, 20], [5, 0, 8], [5, 7, 0]])
        fixture.fastPath.flush()
        #expect(fixture.pollAll().isEmpty)
        #expect(fixture.fastPath.rejectedEntries == 0)
    }

    /// Each entry that fails validation is answered with a rejected entry quoting it, and counted.
    @Test func invalidEntriesAreAnsweredAndCounted() throws {
        let fixture = try ContextQueueFixture()
        let target = StandInTarget()
        target.owners[10] = nil
        target.owners[11] = 3
        target.transmitFree[12] = 100
        target.receiveHeld[13] = 50
        let requests = [
            TransmitRequest(flow: 64, opaque: 0, sendBytes: 1),                  // beyond the capacity
            TransmitRequest(flow: 10, opaque: 0, sendBytes: 1),                  // not installed
            TransmitRequest(flow: 11, opaque: 0, freeBytes: 1),                  // another context's
            TransmitRequest(flow: 12, opaque: 0, sendBytes: 101),                // does not fit the transmit ring
            TransmitRequest(flow: 13, opaque: 0, freeBytes: 51),                 // more than was received
            TransmitRequest(flow: 13, opaque: 0, sendBytes: 5, freeBytes: 60),   // free fails: send not applied
            TransmitRequest(flow: 12, opaque: 0, sendBytes: 200, freeBytes: 10), // send fails after the free applied
            TransmitRequest(flow: .max, opaque: 0, sendBytes: .max, freeBytes: .max),
        ]
        for request in requests { #expect(fixture.application.submit(request)) }
        fixture.application.flush()
        #expect(fixture.fastPath.drainTransmitQueue(into: target, now: 0) == requests.count)
        fixture.fastPath.flush()
        let reported = rejections(in: fixture.pollAll())
        #expect(reported.map(\.reason) == [.flowOutOfRange, .flowNotOwned, .flowNotOwned, .sendTooLarge, .freeTooLarge,
                                           .freeTooLarge, .sendTooLarge, .flowOutOfRange])
        #expect(reported.map(\.flow) == requests.map(\.flow))
        #expect(reported.map(\.sendBytes) == requests.map(\.sendBytes))
        #expect(reported.map(\.freeBytes) == requests.map(\.freeBytes))
        #expect(reported.allSatisfy { $0.rejectedType == ContextQueueLayout.EntryType.update && $0.repeats == 0 })
        #expect(target.applied.map { [$0.flow, $0.sent, $0.freed] } == [[12, 0, 10]])
        #expect(fixture.fastPath.rejectedEntries == 8)
        #expect(fixture.fastPath.rejectedEntries(for: .flowNotOwned) == 2)
        #expect(fixture.fastPath.rejectedEntries(for: .sendTooLarge) == 2)
        #expect(fixture.fastPath.rejectedEntries(for: .freeTooLarge) == 2)
        #expect(fixture.fastPath.rejectedEntries(for: .flowOutOfRange) == 2)
    }

    /// A hostile application writes random slots (random lengths, random bytes) straight into the
    /// transmit ring: nothing is applied, every slot is rejected with the reason the checking order
    /// predicts, and the reports account for every slot.
    @Test func hostileSlotsAreRejectedNeverApplied() throws {
        let fixture = try ContextQueueFixture()
        let target = StandInTarget()
        var random = SeededRandom(seed: 42)
        var expected = [RejectionReason: UInt64]()
        var reported: [EntryRejection] = []
        let rounds = 20
        let perRound = 100
        for _ in 0..<rounds {
            for _ in 0..<perRound {
                var bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
                if random.nextBoolean(probability: 0.5) { bytes[1] = 1 }
                if random.nextBoolean(probability: 0.5) { bytes[0] = 0x11 }
                let length = random.nextBoolean(probability: 0.5) ? 32 : Int.random(in: 0...40, using: &random)
                let reason: RejectionReason = length != 32 ? .wrongLength : bytes[1] != 1 ? .unsupportedVersion
                    : bytes[0] != 0x11 ? .unknownType : .reservedBytesNotZero
                expected[reason, default: 0] += 1
                fixture.queues.transmit.publishRaw(bytes, length: length)
            }
            _ = fixture.fastPath.drainTransmitQueue(into: target, now: 0)
            fixture.fastPath.flush()
            reported += rejections(in: fixture.pollAll())
        }
        #expect(target.applied.isEmpty)
        #expect(fixture.fastPath.rejectedEntries == UInt64(rounds * perRound))
        for reason in RejectionReason.allCases {
            #expect(fixture.fastPath.rejectedEntries(for: reason) == expected[reason, default: 0], "\(reason)")
        }
        #expect(reported.reduce(0) { $0 + 1 + UInt64($1.repeats) } == UInt64(rounds * perRound))
    }

    /// A hostile application stores a producer index far ahead of what it wrote: one drain takes
    /// at most one ring's worth of slots (here empty ones), applies nothing and rejects them all.
    @Test func producerIndexBeyondTheRingIsClampedToOneRing() throws {
        let fixture = try ContextQueueFixture()
        let target = StandInTarget()
        let ring = fixture.queues.transmit
        ring.producerIndex.store(UInt64(ring.slotCount) * 10 + 3, ordering: .releasing)
        #expect(fixture.fastPath.drainTransmitQueue(into: target, now: 0) == 0)
        #expect(target.applied.isEmpty)
        #expect(fixture.fastPath.rejectedEntries(for: .wrongLength) == UInt64(ring.slotCount))
    }

    /// A hostile application fills every transmit slot with a well-formed length and then moves its
    /// producer index to just behind the consumer's (2^64 - 1 slots "published"): one drain still
    /// examines at most one ring's worth and returns.
    @Test func producerIndexBehindTheConsumerEndsTheDrainAfterOneRing() throws {
        let fixture = try ContextQueueFixture(capacities: ContextQueueCapacities(transmitEntries: 64))
        let target = StandInTarget()
        let ring = fixture.queues.transmit
        for flow in 0..<ring.slotCount { #expect(fixture.application.send(flow: FlowIndex(flow), opaque: 0, bytes: 10)) }
        fixture.application.flush()
        #expect(fixture.fastPath.drainTransmitQueue(into: target, now: 0) == ring.slotCount)
        ring.producerIndex.store(ring.consumerIndex.load(ordering: .acquiring) &- 1, ordering: .releasing)
        let taken = fixture.fastPath.drainTransmitQueue(into: target, now: 0)
        #expect(taken <= ring.slotCount)
    }

    /// A hostile application stops reading its receive queue until events wait in the backlog, then
    /// rewrites the producer index of its receive ring to its own consumer index ("empty"): the fast
    /// path's flush must not believe that room and loop; the events stay in the backlog.
    @Test func fakedReceiveRoomDoesNotKeepFlushLooping() throws {
        let fixture = try ContextQueueFixture(capacities: ContextQueueCapacities(receiveEntries: 4))
        let endpoint = fixture.fastPath
        for flow: FlowIndex in 0..<6 { endpoint.post(event(flow: flow, at: 0, received: 10)) }
        endpoint.flush()
        #expect(endpoint.backlogCount == 2)
        let ring = fixture.queues.receive
        ring.producerIndex.store(ring.consumerIndex.load(ordering: .acquiring), ordering: .releasing)
        endpoint.flush()
        #expect(endpoint.backlogCount == 2, "nothing is posted into a queue that is really full")
    }

    /// The producer of a full transmit queue is told so, loses nothing, and succeeds once the fast
    /// path has drained.
    @Test func fullTransmitQueueRefusesThenRecovers() throws {
        let fixture = try ContextQueueFixture(capacities: ContextQueueCapacities(transmitEntries: 4))
        let target = StandInTarget()
        for flow: FlowIndex in 0..<4 { #expect(fixture.application.send(flow: flow, opaque: 0, bytes: 10)) }
        #expect(!fixture.application.send(flow: 4, opaque: 0, bytes: 10))
        #expect(!fixture.application.wait(timeoutNanoseconds: 0), "no room yet, nothing to poll")
        #expect(fixture.fastPath.drainTransmitQueue(into: target, now: 0) == 4)
        #expect(fixture.application.wait(timeoutNanoseconds: 10_000_000_000), "room appeared: no sleep")
        #expect(fixture.application.send(flow: 4, opaque: 0, bytes: 10))
        fixture.application.flush()
        #expect(fixture.fastPath.drainTransmitQueue(into: target, now: 0) == 1)
        #expect(target.applied.map(\.flow) == [0, 1, 2, 3, 4])
    }

    /// With the receive queue full, events go to the per-flow backlog and merge; the fast path asks
    /// for room, the application's poll signals it, and the backlog comes out first, merged exactly.
    @Test func fullReceiveQueueCoalescesPerFlowAndLosesNothing() throws {
        let fixture = try ContextQueueFixture(capacities: ContextQueueCapacities(receiveEntries: 4))
        let endpoint = fixture.fastPath
        for flow: FlowIndex in 0..<4 { endpoint.post(event(flow: flow, at: 0, received: 10)) }
        endpoint.post(event(flow: 5, at: 100, received: 10, acknowledged: 1))
        endpoint.post(event(flow: 1, at: 10, received: 0, acknowledged: 7))
        endpoint.post(event(flow: 5, at: 110, received: 20))
        endpoint.post(event(flow: 1, at: 10, received: 5))
        endpoint.post(event(flow: 5, at: 130, received: 0, acknowledged: 2))
        #expect(endpoint.deferredEvents == 5)
        #expect(endpoint.backlogCount == 2)
        #expect(!endpoint.postClosed(opaque: 105, flow: 5, reason: .peerFinished), "flow 5 still has a pending notification")
        while fixture.signals.fastPath.wait(timeoutNanoseconds: 0) {}
        endpoint.flush()
        #expect(endpoint.hasBacklog)

        let first = fixture.pollAll()
        #expect(first.count == 4)
        #expect(fixture.signals.fastPath.wait(timeoutNanoseconds: 0), "the poll freed room the fast path asked for")
        endpoint.flush()
        #expect(!endpoint.hasBacklog)
        #expect(endpoint.postClosed(opaque: 105, flow: 5, reason: .peerFinished))
        endpoint.flush()
        #expect(fixture.pollAll() == [
            .received(event(flow: 5, at: 100, received: 30, acknowledged: 3)),
            .received(event(flow: 1, at: 10, received: 5, acknowledged: 7)),
            .closed(opaque: 105, flow: 5, reason: .peerFinished),
        ])
    }

    /// Rejection reports that find the receive queue full are folded into one, counted in `repeats`.
    @Test func rejectionReportsFoldWhileTheReceiveQueueIsFull() throws {
        let fixture = try ContextQueueFixture(capacities: ContextQueueCapacities(receiveEntries: 2))
        let target = StandInTarget()
        fixture.fastPath.post(event(flow: 0, at: 0, received: 1))
        fixture.fastPath.post(event(flow: 1, at: 0, received: 1))
        for flow: FlowIndex in [70, 71, 72] { fixture.application.send(flow: flow, opaque: 0, bytes: 1) }
        fixture.application.flush()
        #expect(fixture.fastPath.drainTransmitQueue(into: target, now: 0) == 3)
        fixture.fastPath.flush()
        #expect(fixture.fastPath.hasBacklog)
        #expect(fixture.fastPath.rejectedEntries(for: .flowOutOfRange) == 3)
        #expect(fixture.pollAll().count == 2)
        fixture.fastPath.flush()
        #expect(rejections(in: fixture.pollAll()).map { [UInt32($0.reason.rawValue), $0.flow, $0.repeats] }
                    == [[UInt32(RejectionReason.flowOutOfRange.rawValue), 70, 2]])
    }

    @Test func slowPathQueuePairCarriesRequestsAndEvents() throws {
        let fixture = try ContextQueueFixture(capacities: ContextQueueCapacities(requestEntries: 8, eventEntries: 16))
        for request in ContextQueueEntryTests.requests { #expect(fixture.application.submit(request)) }
        var requests = [SlowPathRequest](repeating: .close(flow: 0), count: 8)
        let taken = requests.withUnsafeMutableBufferPointer { fixture.slowPath.poll(into: $0) }
        #expect(Array(requests.prefix(taken)) == ContextQueueEntryTests.requests)

        for event in ContextQueueEntryTests.events.prefix(8) { #expect(fixture.slowPath.post(event)) }
        #expect(!fixture.application.wait(timeoutNanoseconds: 0), "events are visible only after the flush")
        fixture.slowPath.flush()
        #expect(fixture.application.wait(timeoutNanoseconds: 10_000_000_000))
        var events = [SlowPathEvent](repeating: .closed(opaque: 0, flow: 0, reason: .reset), count: 16)
        let received = events.withUnsafeMutableBufferPointer { fixture.application.pollEvents(into: $0) }
        #expect(Array(events.prefix(received)) == Array(ContextQueueEntryTests.events.prefix(8)))
    }

    /// A malformed request is answered on the event queue with a rejected event quoting its opaque.
    @Test func malformedRequestsAreRejectedToTheApplication() throws {
        let fixture = try ContextQueueFixture()
        var bytes = [UInt8](repeating: 0, count: 48)
        bytes[0] = 0x22   // accept
        bytes[1] = 1
        bytes[2] = 1      // reserved for accept
        bytes[8] = 0x77   // opaque
        // The hostile slots follow a proper entry (one ring has one producer: ours is not used after).
        #expect(fixture.application.submit(.close(flow: 9)))
        fixture.queues.requests.publishRaw(bytes, length: 48)
        fixture.queues.requests.publishRaw(bytes, length: 0)
        var requests = [SlowPathRequest](repeating: .close(flow: 0), count: 4)
        let taken = requests.withUnsafeMutableBufferPointer { fixture.slowPath.poll(into: $0) }
        #expect(Array(requests.prefix(taken)) == [.close(flow: 9)])
        #expect(fixture.slowPath.rejectedEntries(for: .reservedBytesNotZero) == 1)
        #expect(fixture.slowPath.rejectedEntries(for: .wrongLength) == 1)
        fixture.slowPath.flush()
        var events = [SlowPathEvent](repeating: .closed(opaque: 0, flow: 0, reason: .reset), count: 4)
        let received = events.withUnsafeMutableBufferPointer { fixture.application.pollEvents(into: $0) }
        #expect(Array(events.prefix(received)) == [
            .rejected(EntryRejection(reason: .reservedBytesNotZero, rejectedType: 0x22, rejectedWord: 0, rejectedDetail: 0x77)),
            .rejected(EntryRejection(reason: .wrongLength, rejectedType: 0, rejectedWord: 0, rejectedDetail: 0)),
        ])
    }

    /// A receive entry the application cannot decode is skipped and counted, not returned.
    @Test func applicationCountsMalformedReceiveEntries() throws {
        let fixture = try ContextQueueFixture()
        fixture.fastPath.post(event(flow: 2, at: 0, received: 3))
        fixture.fastPath.flush()
        fixture.queues.receive.publishRaw([UInt8](repeating: 0xff, count: 32), length: 32)
        fixture.queues.receive.publishRaw([], length: 0)
        #expect(fixture.pollAll() == [.received(event(flow: 2, at: 0, received: 3))])
        #expect(fixture.application.malformedEntries == 2)
    }

    @Test func waitsReturnAtOnceWhenWorkIsWaitingAndTimeOutOtherwise() throws {
        let fixture = try ContextQueueFixture()
        #expect(!fixture.application.wait(timeoutNanoseconds: 1_000_000))
        #expect(!fixture.fastPath.waitForWork(timeoutNanoseconds: 1_000_000))
        #expect(!fixture.slowPath.waitForRequests(timeoutNanoseconds: 1_000_000))
        fixture.fastPath.post(event(flow: 0, at: 0, received: 1))
        fixture.fastPath.flush()
        fixture.application.send(flow: 0, opaque: 0, bytes: 1)
        #expect(fixture.application.wait(timeoutNanoseconds: 10_000_000_000), "a received entry is waiting")
        #expect(fixture.fastPath.waitForWork(timeoutNanoseconds: 10_000_000_000), "wait flushed the send entry")
        fixture.application.submit(.close(flow: 0))
        #expect(fixture.slowPath.waitForRequests(timeoutNanoseconds: 10_000_000_000))
    }
}
