import CFlexShim
#if canImport(Glibc)
import Glibc
#endif

/// Why a wake-up signal could not be created.
public struct WakeupSignalError: Error, Equatable {
    /// The `errno` value `eventfd(2)` failed with.
    public let code: Int32
}

/// A Linux eventfd used to wake a sleeping ring consumer. It carries no data: any number of signals
/// before a wait collapse into one wake-up. The armed-flag protocol of `FrameRingLayout` decides
/// when a producer signals; this type only sleeps and wakes.
///
/// Contract: `signal()` may be called from any thread; `wait` from one thread at a time. The
/// descriptor is closed on deinit.
public final class WakeupSignal: @unchecked Sendable {
    // Sendable: the only state is an immutable file descriptor; eventfd reads and writes are
    // atomic in the kernel, so signalling from one thread while another waits is safe.
    public let fileDescriptor: Int32

    public init() throws(WakeupSignalError) {
        let descriptor = flexshim_eventfd_open()
        guard descriptor >= 0 else { throw WakeupSignalError(code: errno) }
        fileDescriptor = descriptor
    }

    /// A signal on an eventfd another process created and passed (service mode); it takes
    /// ownership of the descriptor.
    public init(adopting fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    deinit { close(fileDescriptor) }

    /// Wakes the waiter, or makes its next wait return at once.
    public func signal() {
        _ = flexshim_eventfd_signal(fileDescriptor)
    }

    /// Sleeps until signalled or until `timeoutNanoseconds` elapse (<= 0: only consumes a pending
    /// signal). Returns true if it was signalled.
    public func wait(timeoutNanoseconds: Int64) -> Bool {
        flexshim_eventfd_wait(fileDescriptor, timeoutNanoseconds) == 1
    }

    /// Sleeps until one of `descriptors` (at most 8: signals, port readiness descriptors) polls
    /// readable or `timeoutNanoseconds` pass (< 0: no limit); consumes nothing. Returns whether one was.
    public static func waitUntilReadable(anyOf descriptors: [Int32], timeoutNanoseconds: Int64) -> Bool {
        descriptors.withUnsafeBufferPointer { flexshim_wait_any_readable($0.baseAddress, Int32($0.count), timeoutNanoseconds) } > 0
    }
}
