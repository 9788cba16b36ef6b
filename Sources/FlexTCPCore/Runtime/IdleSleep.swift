import FlexPort
#if canImport(Glibc)
import Glibc
#endif

/// How a runtime thread sleeps when it has nothing to do: in one poll(2) on the readiness
/// descriptors of the ports it receives from and the wake-up signals that its other producers
/// (applications' queues, the rings from the other runtime thread, an application-driven stack's
/// async API) use, until one is readable or the timeout (the next timer) passes.
///
/// Contract (no lost wake-up): `arm(true)` sets the armed flags of every queue whose producer
/// signals `signal`, and each port is armed (`Port.armReadiness`); only then is `hasWork` asked
/// once more, and the thread sleeps only if no port had a frame and nothing is there. A producer
/// publishing after that sees an armed flag and signals. Afterwards flags are cleared and the
/// signals' counters reset; the caller looks at its queues again.
enum IdleSleep {
    /// Sleeps as described; false (without sleeping) when a port has no readiness descriptor.
    static func sleep(ports: [any Port], signals: [WakeupSignal], timeoutNanoseconds: UInt64, arm: (Bool) -> Void,
                      hasWork: () -> Bool) -> Bool {
        var descriptors = ports.compactMap(\.readinessDescriptor)
        guard descriptors.count == ports.count else { return false }
        descriptors.append(contentsOf: signals.lazy.map(\.fileDescriptor))
        arm(true)
        var armedPorts = 0
        while armedPorts < ports.count && ports[armedPorts].armReadiness() { armedPorts += 1 }
        if armedPorts == ports.count && !hasWork() {
            let timeout = timeoutNanoseconds > UInt64(Int64.max) ? -1 : Int64(timeoutNanoseconds)
            _ = WakeupSignal.waitUntilReadable(anyOf: descriptors, timeoutNanoseconds: timeout)
        }
        for port in ports.prefix(armedPorts) { port.disarmReadiness() }
        arm(false)
        for signal in signals { _ = signal.wait(timeoutNanoseconds: 0) }
        return true
    }
}
