import FlexPort
#if canImport(Glibc)
import Glibc
#endif

/// How a runtime thread sleeps when it has nothing to do: in one poll(2) on the port's readiness
/// descriptor and a wake-up signal that its other producers (applications, the other runtime
/// thread) use, until one is readable or the timeout (the next timer) passes.
///
/// Contract (no lost wake-up): `arm(true)` sets the armed flags of every queue whose producer
/// signals `signal`, and `port.armReadiness()` arms the port; only then is `hasWork` asked once
/// more, and the thread sleeps only if nothing is there. A producer publishing after that sees an
/// armed flag and signals. Afterwards flags are cleared and the signal's counter reset; the caller
/// looks at its queues again.
enum IdleSleep {
    static func sleep(port: any Port, descriptor: Int32, signal: WakeupSignal, timeoutNanoseconds: UInt64,
                      arm: (Bool) -> Void, hasWork: () -> Bool) {
        arm(true)
        if port.armReadiness() {
            if !hasWork() {
                let timeout = timeoutNanoseconds > UInt64(Int64.max) ? -1 : Int64(timeoutNanoseconds)
                _ = WakeupSignal.waitUntilReadable(anyOf: [descriptor, signal.fileDescriptor], timeoutNanoseconds: timeout)
            }
            port.disarmReadiness()
        }
        arm(false)
        _ = signal.wait(timeoutNanoseconds: 0)
    }

    /// CPU time the calling thread has used (CLOCK_THREAD_CPUTIME_ID), in nanoseconds.
    static func threadCPUTime() -> UInt64 {
        var time = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time) == 0 else { return 0 }
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
