import FlexPort
@testable import FlexTCPCore
import Foundation
import Testing

/// A stand-in fast path for the thread test: it applies every send and answers it at once with a
/// received event of the same size at the flow's next ring position.
private final class EchoingTarget: TransmitQueueTarget {
    let flowCapacity: Int
    let endpoint: FastPathContextEndpoint
    var positions: [UInt32]
    var appliedEntries = 0
    var appliedBytes: [UInt64]

    init(flowCapacity: Int, endpoint: FastPathContextEndpoint) {
        self.flowCapacity = flowCapacity
        self.endpoint = endpoint
        positions = Array(repeating: 0, count: flowCapacity)
        appliedBytes = Array(repeating: 0, count: flowCapacity)
    }

    func delivery(ofInstalledFlow flow: FlowIndex) -> FlowBinding? { FlowBinding(context: endpoint.context, opaque: 0) }
    func applicationFreed(flow: FlowIndex, bytes: UInt32, now: UInt64) -> Bool { false }

    func applicationQueued(flow: FlowIndex, bytes: UInt32, now: UInt64) -> Bool {
        endpoint.post(FlowEvent(opaque: UInt64(flow), flow: flow, context: endpoint.context, receivedPosition: positions[Int(flow)],
                                receivedBytes: bytes, acknowledgedBytes: 0))
        positions[Int(flow)] &+= bytes
        appliedBytes[Int(flow)] &+= UInt64(bytes)
        appliedEntries += 1
        return true
    }
}

/// Gives a non-Sendable value to exactly one other thread, which alone uses it until the test
/// has joined that thread; only then does the test read it.
private final class HandOff<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// Starts `body` on a new thread; the returned function waits until it has finished.
private func startThread(_ body: @escaping @Sendable () -> Void) -> () -> Void {
    let finished = DispatchSemaphore(value: 0)
    Thread {
        body()
        finished.signal()
    }.start()
    return { finished.wait() }
}

@Suite struct ContextQueueThreadTests {
    /// An application thread sends a million entries through a 16-entry transmit queue; a fast
    /// path thread answers each with a received event through a 16-entry receive queue (merging
    /// when it is full). Both sleep whenever they have nothing to do, with a long timeout: the
    /// other side always has something coming, so a wait that runs out can only be a lost wake-up.
    /// Every byte must come back at the position the flow's previous event ended at.
    @Test func millionEntriesBothWaysWithoutLossOrLostWakeUp() throws {
        let entryCount = 1_000_000
        let flowCount = 16
        let timeout: Int64 = 10_000_000_000
        let fixture = try ContextQueueFixture(capacities: ContextQueueCapacities(receiveEntries: 16, transmitEntries: 16),
                                              flowCapacity: flowCount, batchSize: 8)
        let target = HandOff(EchoingTarget(flowCapacity: flowCount, endpoint: fixture.fastPath))
        let fastPathTimeouts = HandOff(0)
        let fastPathWaits = HandOff(0)
        let join = startThread {
            let target = target.value
            let endpoint = target.endpoint
            while true {
                let taken = endpoint.drainTransmitQueue(into: target, now: 0)
                endpoint.flush()
                if target.appliedEntries == entryCount && !endpoint.hasBacklog { return }
                guard taken == 0 else { continue }
                fastPathWaits.value += 1
                if !endpoint.waitForWork(timeoutNanoseconds: timeout) {
                    fastPathTimeouts.value += 1
                    return
                }
            }
        }

        let application = fixture.application
        var sentBytes = [UInt64](repeating: 0, count: flowCount)
        var receivedBytes = [UInt64](repeating: 0, count: flowCount)
        var nextPosition = [UInt32](repeating: 0, count: flowCount)
        var misplaced = 0
        var receivedEntries = 0
        var applicationTimeouts = 0
        var applicationWaits = 0
        var sent = 0
        var buffer = [ReceiveQueueEntry](repeating: .closed(opaque: 0, flow: 0, reason: .reset), count: 32)
        let totalBytes = (0..<entryCount).reduce(UInt64(0)) { $0 + UInt64($1 % 1000 + 1) }
        while receivedBytes.reduce(0, +) < totalBytes {
            while sent < entryCount {
                let flow = sent % flowCount
                let bytes = UInt32(sent % 1000 + 1)
                guard application.send(flow: FlowIndex(flow), opaque: 0, bytes: bytes) else { break }
                sentBytes[flow] += UInt64(bytes)
                sent += 1
            }
            let polled = buffer.withUnsafeMutableBufferPointer { application.poll(into: $0) }
            for entry in buffer.prefix(polled) {
                guard case .received(let event) = entry else { misplaced += 1; continue }
                let flow = Int(event.flow)
                if event.receivedPosition != nextPosition[flow] { misplaced += 1 }
                nextPosition[flow] = event.receivedPosition &+ event.receivedBytes
                receivedBytes[flow] += UInt64(event.receivedBytes)
                receivedEntries += 1
            }
            guard polled == 0 else { continue }
            applicationWaits += 1
            if !application.wait(timeoutNanoseconds: timeout) {
                applicationTimeouts += 1
                break
            }
        }
        join()

        #expect(applicationTimeouts == 0 && fastPathTimeouts.value == 0, "a wait ran out: a lost wake-up")
        #expect(sent == entryCount)
        #expect(target.value.appliedEntries == entryCount)
        #expect(target.value.appliedBytes == sentBytes)
        #expect(receivedBytes == sentBytes)
        #expect(misplaced == 0)
        #expect(fixture.fastPath.rejectedEntries == 0 && fixture.application.malformedEntries == 0)
        // Every event either arrived as an entry or was merged into one: none vanished.
        #expect(UInt64(receivedEntries) + fixture.fastPath.deferredEvents >= UInt64(entryCount))
        print("context queues, 2 threads: \(entryCount) sends, \(receivedEntries) received entries, "
              + "\(fixture.fastPath.deferredEvents) events deferred to the backlog, "
              + "\(applicationWaits) application waits, \(fastPathWaits.value) fast path waits")
    }
}
