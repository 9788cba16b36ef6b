import FlexPort

/// One memory region holding the queue sets of `count` application contexts, back to back (each
/// `ContextQueues.regionSize` bytes, 64-byte aligned), formatted for contexts 0 ..< count, and
/// each context's wake-up signals: its own application signal, one `service` signal that every
/// context's fast-path side shares, and one `slowPathService` signal that every context's
/// slow-path side shares — the same signal as `service` unless the region was made for a runtime
/// whose slow path runs on a thread of its own (`separateSlowPathSignal`); each runtime thread
/// sleeps on its own.
///
/// In service mode the queue sets are grouped per application (`init(placing:...)`): the
/// `contextsPerGroup` sets of group `g` lie back to back from `base + g·groupStride`, in memory the
/// region does not own (the application's mapped memfd).
///
/// Contract: owns the memory it allocated and frees it on deinit; every view and endpoint built
/// on it must be gone by then (holders keep a reference to the region). Memory it was given must
/// outlive it.
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
    /// Queue sets per group, and bytes from one group's first set to the next group's.
    package let contextsPerGroup: Int
    package let groupStride: Int
    private let ownsMemory: Bool

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
        contextsPerGroup = count
        groupStride = length
        ownsMemory = true
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
        do {
            try format(0..<count)
        } catch {
            // Every stored property is set, so deinit frees the memory.
            throw .queues(error)
        }
    }

    /// A region over memory the caller owns: `count` queue sets of `stride` bytes each (at least
    /// `ContextQueues.regionSize(for: capacities)`, a multiple of 64), grouped `contextsPerGroup`
    /// to a group of `groupStride` bytes from `base`, with the given signals (one application
    /// signal per context). The queue sets are formatted only if `formats` (the service does; an
    /// application attaches to what the service formatted).
    package init(placing base: UnsafeMutableRawPointer, count: Int, stride: Int, contextsPerGroup: Int, groupStride: Int,
                 capacities: ContextQueueCapacities, applicationSignals: [WakeupSignal], service: WakeupSignal,
                 slowPathService: WakeupSignal, formats: Bool) throws(SetupError) {
        guard count > 0, count <= Int(UInt16.max) + 1, contextsPerGroup > 0, applicationSignals.count == count,
              let size = ContextQueues.regionSize(for: capacities), stride >= size, stride % FrameRingLayout.alignment == 0,
              groupStride >= stride * contextsPerGroup else {
            throw .invalidConfiguration
        }
        self.base = base
        self.count = count
        self.capacities = capacities
        self.stride = stride
        self.contextsPerGroup = contextsPerGroup
        self.groupStride = groupStride
        length = (count - 1) / contextsPerGroup * groupStride + contextsPerGroup * stride
        ownsMemory = false
        self.service = service
        self.slowPathService = slowPathService
        self.applicationSignals = applicationSignals
        guard formats else { return }
        do {
            try format(0..<count)
        } catch {
            throw .queues(error)
        }
    }

    deinit { if ownsMemory { base.deallocate() } }

    /// Where context `index`'s queue set lies.
    package func queueSetAddress(_ index: Int) -> UnsafeMutableRawPointer {
        base + index / contextsPerGroup * groupStride + index % contextsPerGroup * stride
    }

    /// Lays out empty queue sets for `contexts` (their memory new or no longer used by anyone).
    package func format(_ contexts: Range<Int>) throws(ContextQueueError) {
        for context in contexts {
            _ = try ContextQueues.format(at: queueSetAddress(context), regionLength: stride, context: UInt16(context), capacities: capacities)
        }
    }

    /// A checked view of context `index`'s queue set (as an application attaches to it).
    package func queues(_ index: Int) throws(ContextQueueError) -> ContextQueues {
        try ContextQueues(attachingTo: queueSetAddress(index), regionLength: stride)
    }

    package func signals(_ index: Int) -> ContextQueueSignals {
        ContextQueueSignals(application: applicationSignals[index], fastPath: service, slowPath: slowPathService)
    }
}
