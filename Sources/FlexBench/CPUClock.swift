import CFlexShim

/// The current thread's consumed CPU time in nanoseconds (user + system).
@inline(__always)
func threadCPUNanoseconds() -> UInt64 { flexshim_thread_cpu_ns() }

/// The cycle counter `CycleDelay` spins on.
@inline(__always)
func flexCycles() -> UInt64 { flexshim_cycles() }

/// CPU placement of benchmark threads.
public enum CPUPlacement {
    /// CPUs this process may use.
    public static var availableCPUs: Int { Int(flexshim_available_cpus()) }

    /// The CPU a worker of `role` is pinned to: servers on CPU 0, clients on CPU 1 (both on 0 on a
    /// one-CPU machine), so every system gets the same two cores.
    public static func cpu(for role: WorkerRole) -> Int {
        role == .server || availableCPUs < 2 ? 0 : 1
    }

    /// Pins the calling thread to `cpu`; returns false if the kernel refused.
    @discardableResult
    public static func pinCurrentThread(to cpu: Int) -> Bool { flexshim_pin_current_thread(Int32(cpu)) == 0 }
}
