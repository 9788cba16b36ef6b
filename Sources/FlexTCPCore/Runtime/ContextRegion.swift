import FlexPort

/// One memory region holding the queue sets of `count` application contexts, back to back (each
/// `ContextQueues.regionSize` bytes, 64-byte aligned), formatted for contexts 0 ..< count, and
/// each context's wake-up signals: its own application signal, one `service` signal that every
/// context's fast-path side shares, and one `slowPathService` signal that every context's
/// slow-path side shares — the same signal as `service` unless the region was made for a runtime
/// whose slow path runs on a thread of its own (`separateSlowPathSignal`); each runtime thread
/// sleeps on its own.
///
/// Contract: owns the memory and frees it on deinit; every view and endpoint built on it must be
/// gone by then (holders keep a reference to the region).
package final class ContextRegion: @unchecked Sendable {
    // Sendable: the fields never change after init; the bytes are shared only under the queue protocol.
    package let base: UnsafeMutableRawPointer
    package let length: Int
    package let count: Int
    /// Bytes from one context's queue set to the next.
    package let stride: Int
    package let capacities: ContextQueueCapacities
    /// Signalled for the fast-path side: transmit entries, receive-queue room.
    package let service: WakeupSignal
    /// Signalled for the slow-path side: requests, event-queue room.
    package let slowPathService: WakeupSignal
    private let applicationSignals: [WakeupSignal]

    /// Why a region could not be set up.
    package enum SetupError: Error, Equatable {
        /// No context, more than 65,536, or a capacity that is not a power of two in 2 ... 2^20.
        case invalidConfiguration
        case queues(ContextQueueError)
        case signal(WakeupSignalError)
    }

    package init(count: Int, capacities: ContextQueueCapacities, separateSlowPathSignal: Bool = false) throws(SetupError) {
        guard count > 0, count <= Int(UInt16.max) + 1, let size = ContextQueues.regionSize(for: capacities) else {
            throw .invalidConfiguration
        }
        self.count = count
        self.capacities = capacities
        stride = size
        length = size * count
        base = .allocate(byteCount: length, alignment: FrameRingLayout.alignment)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: length)
        do {
            service = try WakeupSignal()
            slowPathService = separateSlowPathSignal ? try WakeupSignal() : service
            applicationSignals = try (0..<count).map { _ throws(WakeupSignalError) in try WakeupSignal() }
        } catch {
            base.deallocate()
            throw .signal(error)
        }
        for context in 0..<count {
            do {
                _ = try ContextQueues.format(at: base + context * stride, regionLength: stride, context: UInt16(context),
                                             capacities: capacities)
            } catch {
                // Every stored property is set, so deinit frees the memory.
                throw .queues(error)
            }
        }
    }

    deinit { base.deallocate() }

    /// A checked view of context `index`'s queue set (as an application attaches to it).
    package func queues(_ index: Int) throws(ContextQueueError) -> ContextQueues {
        try ContextQueues(attachingTo: base + index * stride, regionLength: stride)
    }

    package func signals(_ index: Int) -> ContextQueueSignals {
        ContextQueueSignals(application: applicationSignals[index], fastPath: service, slowPath: slowPathService)
    }
}
