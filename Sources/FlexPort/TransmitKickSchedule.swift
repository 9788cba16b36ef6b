/// When a kernel-backed port (`AFPacketPort`, `AFXDPPort`) asks the kernel to send the frames it
/// queued in its transmit ring: one system call (a kick) for everything queued.
///
/// Contract: with `deferralPolls` 0 a kick is due at every commit that queued a frame; with n > 0
/// at the n-th `poll()` after the oldest frame still waiting was queued. A kick the kernel refused
/// leaves the frames waiting, so the next commit or poll tries again. The port kicks whatever is
/// waiting, regardless of the schedule, before it may be waited on and when it needs ring slots back.
struct TransmitKickSchedule {
    let deferralPolls: Int
    /// Frames are queued that no kick has got through for yet.
    private(set) var isPending = false
    private var pollsSinceQueued = 0

    init(deferralPolls: Int) { self.deferralPolls = deferralPolls }

    /// A commit queued `count` frames; true if the port should kick now.
    @inline(__always)
    mutating func committed(_ count: Int) -> Bool {
        if count > 0 && !isPending {
            isPending = true
            pollsSinceQueued = 0
        }
        return isPending && deferralPolls == 0
    }

    /// The port was polled; true if the port should kick now.
    @inline(__always)
    mutating func polled() -> Bool {
        guard isPending else { return false }
        pollsSinceQueued &+= 1
        return pollsSinceQueued >= deferralPolls
    }

    /// The port kicked; `succeeded` is false if the kernel refused (the frames still wait).
    @inline(__always)
    mutating func kicked(succeeded: Bool) { isPending = !succeeded }
}
