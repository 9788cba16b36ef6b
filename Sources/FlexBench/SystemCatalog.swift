/// Every system `flexbench` can run, by name, and the default pairs for `--compare`.
public enum SystemCatalog {
    /// All systems, baselines after the systems compared with them.
    public static let all: [any BenchmarkSystem] = [
        FlexTCPMemorySystem(), FlexTCPMemorySystem(path: .runToCompletion),
        FlexTCPVethSystem(), FlexTCPVethSystem(path: .runToCompletion),
        FlexTCPVethSystem(port: .afXDP(.native)), FlexTCPVethSystem(port: .afXDP(.generic)),
        LinuxLoopbackSystem(), LinuxVethSystem(),
    ]

    /// The system called `name`, if any.
    public static func system(named name: String) -> (any BenchmarkSystem)? { all.first { $0.name == name } }

    /// Systems `--compare` runs: the embedded ones (FlexTCP on the in-memory wire through the library
    /// and run to completion, Linux on loopback), plus the veth ones when `includeTestHosts` (needs root).
    public static func comparison(includeTestHosts: Bool) -> [any BenchmarkSystem] {
        all.filter { includeTestHosts || !$0.needsRoot }
    }

    /// Name → baseline name, for `ComparisonTable`.
    public static var baselines: [String: String] {
        Dictionary(uniqueKeysWithValues: all.compactMap { system in system.baselineName.map { (system.name, $0) } })
    }
}
