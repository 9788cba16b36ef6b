import ArgumentParser
import FlexBench
import FlexTestHosts
import Foundation

/// Options every workload command shares: which systems, how long, where results go.
struct WorkloadOptions: ParsableArguments {
    @Flag(help: "Run the systems back to back (A B A B …) and print ratios against the best Linux system per metric.") var compare = false
    @Option(name: .customLong("system"), help: "Run this system (repeatable; default: flextcp-memory). See `flexbench systems`.")
    var systems: [String] = []
    @Flag(help: "With --compare, also run the systems on veth test hosts (needs root).") var testHosts = false
    @Option(help: "Concurrent connections.") var connections = 1
    @Option(help: "Seconds measured per run.") var duration = 3.0
    @Option(help: "Seconds of warm-up before measuring.") var warmup = 1.0
    @Option(help: "Runs per system.") var repetitions: Int?
    @Option(help: "Write the results as a JSON array to this file.") var json: String?
    @Option(help: "MTU of the FlexTCP in-memory wire (IP packet bytes, 576...65535; default 65535: Linux loopback's 65536 as far as IPv4 goes).")
    var mtu = FlexTCPMemorySystem.defaultMTU
    @Option(help: "Congestion control of the FlexTCP in-memory wire systems: dctcp (default) or off (for comparison).")
    var congestionControl = BenchmarkCongestionControl.systemsDefault

    /// The systems to run `spec` (those on the in-memory wire at `mtu`), or a validation error naming
    /// the unknown or unusable one. Of the default `--compare` set, systems that cannot run `spec` here are left out with the reason printed.
    func selectedSystems(for spec: WorkloadSpec) throws -> [any BenchmarkSystem] {
        let chosen: [any BenchmarkSystem]
        if compare && systems.isEmpty {
            chosen = SystemCatalog.comparison(includeTestHosts: testHosts).filter { system in
                guard let reason = system.unavailableReason(for: spec) else { return true }
                print("flexbench: skipping \(system.name): \(reason)")
                return false
            }
        } else {
            let names = systems.isEmpty ? ["flextcp-memory"] : systems
            chosen = try names.map { name in
                guard let system = SystemCatalog.system(named: name) else {
                    throw ValidationError("unknown system '\(name)'; known: \(SystemCatalog.all.map(\.name).joined(separator: ", "))")
                }
                if let reason = system.unavailableReason(for: spec) { throw ValidationError("\(name): \(reason)") }
                return system
            }
        }
        if let problem = FlexTCPMemorySystem.mtuProblem(mtu) { throw ValidationError(problem) }
        let configured = chosen.map { system in (system as? FlexTCPMemorySystem)?.withMTU(mtu).withCongestionControl(congestionControl) ?? system }
        if configured.contains(where: \.needsRoot) && geteuid() != 0 {
            throw ValidationError("systems on test hosts need root (network namespaces): \(configured.filter(\.needsRoot).map(\.name).joined(separator: ", "))")
        }
        guard !configured.isEmpty else { throw ValidationError("no system to run") }
        return configured
    }

    var plan: RunPlan { RunPlan(warmup: warmup, duration: duration, repetitions: repetitions ?? (compare ? 3 : 1)) }

    /// Runs `spec` on the selected systems, printing each run and then the table.
    func execute(_ spec: WorkloadSpec, title: String) throws {
        do {
            try spec.validate()
            try plan.validate()
        } catch {
            throw ValidationError(error.description)
        }
        let chosen = try selectedSystems(for: spec)
        // Test hosts this program makes are removed on SIGINT/SIGTERM/SIGHUP too.
        if chosen.contains(where: \.needsRoot) { TestNetwork.removeAllOnTermination() }
        print("flexbench \(title): \(spec.workload.rawValue), \(spec.connections) connection(s), \(spec.size) B messages, "
              + "pipeline \(spec.pipeline), server delay \(spec.delayCycles) cycles; warm-up \(plan.warmup) s, "
              + "\(plan.duration) s measured, \(plan.repetitions) run(s) per system; \(CPUPlacement.availableCPUs) CPUs, "
              + "server threads on CPU \(CPUPlacement.cpu(for: .server)), clients on CPU \(CPUPlacement.cpu(for: .client))")
        for system in chosen { print("  \(system.name) (\(InterfaceMTU.description(system.mtu))): \(system.summary)") }
        let results: [RunResult]
        do {
            results = try WorkloadRunner.run(spec, on: chosen, plan: plan, progress: { result in
                print(RunLine.text(result))
            })
        } catch {
            print("flexbench: \(error.description)")
            throw ExitCode.failure
        }
        print("")
        print(ComparisonTable(results: results, baselines: SystemCatalog.baselines).text)
        if let json {
            try ResultsFile.write(results, to: json)
            print("results written to \(json)")
        }
        if results.contains(where: { $0.errors > 0 || $0.messages == 0 }) {
            print("flexbench: some runs completed no messages or saw protocol errors (see above)")
            throw ExitCode.failure
        }
    }
}

/// One printed line per run.
enum RunLine {
    static func text(_ result: RunResult) -> String {
        var line = String(format: "%@ run %d: %.0f msg/s, %.3f Gbit/s, %.2f cores (CPU %@), %.3f CPU s per M msgs",
                          result.system, result.repetition + 1, result.rpcsPerSecond, result.gigabitsPerSecond, result.cores,
                          result.pinnedCPUs.map(String.init).joined(separator: ","), result.cpuSecondsPerMillion)
        if let latency = result.latency {
            line += String(format: ", latency p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f us", latency.p50, latency.p90, latency.p99, latency.p999)
        }
        if let cores = result.coreRoundTrip { line += ", CPUs \(cores.description)" }
        if let kicks = result.kicksPerMessage { line += String(format: ", %.2f kernel kicks per msg", kicks) }
        line += ", \(InterfaceMTU.description(result.mtu))"
        if result.errors > 0 { line += ", \(result.errors) ERRORS" }
        return line
    }
}
