import Synchronization

/// How the kernel-socket transport (`LinuxTargetServer`, `LinuxHostTransport`) moves bytes.
///
/// Contract: `engine` picks readiness (epoll/poll, then non-blocking recv/send) or completions (one
/// io_uring per thread, every connection's receives and sends submitted together in one
/// `io_uring_enter`); `zeroCopySends` (epoll engine) sends pending runs of at least
/// `zeroCopyThreshold` bytes with MSG_ZEROCOPY, their bytes held in the outbound buffer until the
/// kernel's completion arrives on the socket's error queue.
public struct SocketTransportOptions: Sendable, Equatable, CustomStringConvertible {
    public enum Engine: String, Sendable, CaseIterable { case epoll, uring }

    public var engine: Engine
    public var zeroCopySends: Bool
    /// Bytes a send must carry to go with MSG_ZEROCOPY (below it, pinning pages costs more than copying).
    public var zeroCopyThreshold = 4096

    public init(engine: Engine = .epoll, zeroCopySends: Bool = false) {
        self.engine = engine
        self.zeroCopySends = zeroCopySends
    }

    /// "epoll", "epoll + MSG_ZEROCOPY", "io_uring".
    public var description: String {
        switch engine {
        case .epoll: zeroCopySends ? "epoll + MSG_ZEROCOPY" : "epoll"
        case .uring: "io_uring"
        }
    }
}

/// What a kernel-socket transport's zero-copy sends came to, summed over its connections (any thread).
public final class ZeroCopyCounters: Sendable {
    private let sendsCounter = Atomic<Int>(0)
    private let completedCounter = Atomic<Int>(0)
    private let copiedCounter = Atomic<Int>(0)
    private let refusedCounter = Atomic<Int>(0)
    private let fallbackCounter = Atomic<Int>(0)

    public init() {}

    /// Sends made with MSG_ZEROCOPY.
    public var sends: Int { sendsCounter.load(ordering: .relaxed) }
    /// Of those, sends whose completion arrived.
    public var completed: Int { completedCounter.load(ordering: .relaxed) }
    /// Of the completed, sends the kernel copied after all (SO_EE_CODE_ZEROCOPY_COPIED: loopback does).
    public var copied: Int { copiedCounter.load(ordering: .relaxed) }
    /// Connections whose socket refused SO_ZEROCOPY (they copy every send).
    public var refused: Int { refusedCounter.load(ordering: .relaxed) }
    /// Sends copied because the kernel refused MSG_ZEROCOPY for want of option memory (ENOBUFS).
    public var fallbacks: Int { fallbackCounter.load(ordering: .relaxed) }

    func countSend() { sendsCounter.add(1, ordering: .relaxed) }
    func countCompleted(_ sends: Int, copied: Bool) {
        completedCounter.add(sends, ordering: .relaxed)
        if copied { copiedCounter.add(sends, ordering: .relaxed) }
    }
    func countRefused() { refusedCounter.add(1, ordering: .relaxed) }
    func countFallback() { fallbackCounter.add(1, ordering: .relaxed) }
}
