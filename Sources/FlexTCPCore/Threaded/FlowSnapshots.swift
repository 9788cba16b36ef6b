import Atomics
import FlexWire

/// The fast path's per-flow state, published for a slow path on another thread.
///
/// Why snapshots with a sequence counter (seqlock) rather than a lock or a request/answer queue:
/// the fast path must never wait for the slow path. Publishing is two relaxed/release stores and a
/// copy of the flow's state and its peer's latest SACK blocks per touched flow — constant time, no waiting — and the slow path, which reads
/// counters only every control interval or timer, pays the rare retry instead: it reads the
/// counter, copies the record, and keeps the copy only if the counter was even and unchanged.
///
/// Which flows were published since the slow path last asked (`takeChanged`) travels in a change
/// list: a flag per flow and a ring that holds each flagged flow once. The writer lists a flow when
/// its atomic exchange of the flag finds it clear; the reader takes a flow from the ring, then clears
/// its flag with an exchange before reading the flow's record. Either the writer's exchange comes
/// first — the reader's exchange then acquires it, so the reader sees the record published before
/// it — or the writer finds the flag clear and lists the flow again. A flow is in the ring at most
/// once at a time, so the ring (one slot per flow) never overflows.
///
/// Contract: one writer thread (the fast path's) calls `publish` and `setGeneration`; any number
/// of reader threads call `read`, and one of them (the slow path's) `takeChanged`. A read returns a
/// state that the writer published at some point (never a torn mix), at most one fast-path step old.
package final class FlowSnapshots: @unchecked Sendable {
    // Sendable: records are written by one thread under the sequence protocol above.
    struct Record {
        var state = FlowState()
        /// The SACK blocks of the peer's latest segment that carried any (the slow path's SACK recovery).
        var selectiveAcknowledgments = TCPSACKBlocks()
        var installed = false
        /// Which installation of the flow index this is (`FastPathLink` counts them).
        var generation: UInt32 = 0
    }

    private let sequences: [UnsafeAtomic<UInt64>]
    private let records: UnsafeMutablePointer<Record>
    private let generations: UnsafeMutablePointer<UInt32>
    private let capacity: Int
    /// The change list: a flag per flow (listed), the ring of listed flows, its written end (atomic,
    /// advanced by the writer), the writer's copy of it, and the reader's position.
    private let changeFlags: [UnsafeAtomic<Bool>]
    private let changeRing: UnsafeMutablePointer<FlowIndex>
    private let changesWritten = UnsafeAtomic<Int>.create(0)
    private var writerChanges = 0
    private var readerChanges = 0

    init(capacity: Int) {
        self.capacity = capacity
        changeFlags = (0..<capacity).map { _ in UnsafeAtomic<Bool>.create(false) }
        changeRing = .allocate(capacity: capacity)
        sequences = (0..<capacity).map { _ in UnsafeAtomic<UInt64>.create(0) }
        records = .allocate(capacity: capacity)
        records.initialize(repeating: Record(), count: capacity)
        generations = .allocate(capacity: capacity)
        generations.initialize(repeating: 0, count: capacity)
    }

    deinit {
        for sequence in sequences { sequence.destroy() }
        for flag in changeFlags { flag.destroy() }
        changesWritten.destroy()
        changeRing.deallocate()
        records.deallocate()
        generations.deallocate()
    }

    /// The next publications of `flow` belong to installation `generation` (writer only).
    func setGeneration(_ generation: UInt32, of flow: FlowIndex) { generations[Int(flow)] = generation }

    /// Publishes the flow's current state (writer only).
    @inline(__always)
    func publish(_ flow: Int, state: FlowState, selectiveAcknowledgments: TCPSACKBlocks, installed: Bool) {
        let sequence = sequences[flow]
        let value = sequence.load(ordering: .relaxed)
        sequence.store(value &+ 1, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
        records[flow] = Record(state: state, selectiveAcknowledgments: selectiveAcknowledgments, installed: installed,
                               generation: generations[flow])
        sequence.store(value &+ 2, ordering: .releasing)
        guard !changeFlags[flow].exchange(true, ordering: .acquiringAndReleasing) else { return }
        changeRing[writerChanges % capacity] = FlowIndex(flow)
        writerChanges &+= 1
        changesWritten.store(writerChanges, ordering: .releasing)
    }

    /// Hands `body` each flow published since the last call, once (reader side; see the type's comment).
    func takeChanged(_ body: (FlowIndex) -> Void) {
        let written = changesWritten.load(ordering: .acquiring)
        while readerChanges != written {
            let flow = changeRing[readerChanges % capacity]
            readerChanges &+= 1
            _ = changeFlags[Int(flow)].exchange(false, ordering: .acquiringAndReleasing)
            body(flow)
        }
    }

    /// A consistent copy of the flow's last published record.
    func read(_ flow: FlowIndex) -> Record {
        let sequence = sequences[Int(flow)]
        while true {
            let before = sequence.load(ordering: .acquiring)
            guard before & 1 == 0 else { continue }
            let copy = records[Int(flow)]
            atomicMemoryFence(ordering: .acquiring)
            if sequence.load(ordering: .relaxed) == before { return copy }
        }
    }
}
