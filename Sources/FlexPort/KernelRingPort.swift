#if canImport(Glibc)
/// What `AFPacketPort` and `AFXDPPort` share: a socket that polls readable while a received frame
/// waits in its ring, and transmit kicks on a `TransmitKickSchedule`. The extension gives them
/// `Port`'s polling and waiting: a kick when the schedule says on `poll()`, and the waiting frames
/// kicked before the caller may sleep (`waitForFrames`, `armReadiness`).
protocol KernelRingPort: Port {
    var kicks: TransmitKickSchedule { get set }
    /// Asks the kernel to send everything queued (counted in `statistics.transmitKicks`) and tells `kicks`.
    func kick()
    /// The kernel handed over a received frame beyond the ones the caller holds.
    var nextFrameIsReady: Bool { get }
    /// The socket that polls readable while a received frame waits.
    var socketDescriptor: Int32 { get }
}

extension KernelRingPort {
    public func poll() {
        if kicks.polled() { kick() }
    }

    public func waitForFrames(timeoutNanoseconds: Int64) -> Bool {
        if kicks.isPending { kick() }
        return nextFrameIsReady || waitUntilReadable(socketDescriptor, timeoutNanoseconds: timeoutNanoseconds)
    }

    public var readinessDescriptor: Int32? { socketDescriptor }

    public func armReadiness() -> Bool {
        if kicks.isPending { kick() }
        return !nextFrameIsReady
    }
}
#endif
