/// Every system `flexbench` can run, by name, and the default set for `--compare`.
public enum SystemCatalog {
    /// The Linux systems on loopback that FlexTCP on the in-memory wire is compared with: sleeping
    /// epoll across cores, both ends on one core, busy-polling across cores, io_uring on one core.
    public static let loopbackBaselines: [any BenchmarkSystem] = [
        LinuxLoopbackSystem(), LinuxOneCoreSystem(), LinuxBusyPollSystem(), LinuxIOURingSystem(),
    ]

    /// All systems, baselines after the systems compared with them.
    public static let all: [any BenchmarkSystem] = [
        FlexTCPMemorySystem(), FlexTCPMemorySystem(path: .runToCompletion), FlexTCPServiceMemorySystem(),
        FlexTCPVethSystem(), FlexTCPVethSystem(path: .runToCompletion),
        FlexTCPVethSystem(port: .afXDP(.native)), FlexTCPVethSystem(port: .afXDP(.generic)),
    ] + loopbackBaselines + [LinuxVethSystem()]

    /// The system called `name`, if any.
    public static func system(named name: String) -> (any BenchmarkSystem)? { all.first { $0.name == name } }

    /// Systems `--compare` runs: the embedded ones (FlexTCP on the in-memory wire through the library
    /// and run to completion, the Linux loopback baselines), plus the veth ones when `includeTestHosts`
    /// (needs root). Systems that run only when named (`runsOnlyWhenNamed`) are left out.
    public static func comparison(includeTestHosts: Bool) -> [any BenchmarkSystem] {
        all.filter { (includeTestHosts || !$0.needsRoot) && !$0.runsOnlyWhenNamed }
    }

    /// Name → the names of the systems it is compared with, for `ComparisonTable`.
    public static var baselines: [String: [String]] {
        Dictionary(uniqueKeysWithValues: all.compactMap { system in system.baselineNames.isEmpty ? nil : (system.name, system.baselineNames) })
    }
}
