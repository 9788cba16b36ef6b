import ArgumentParser
import FlexBench
import FlexTestHosts
import Foundation

/// `flexbench kvs`: the dissertation's key-value workload against FlexKVS and Debian's memcached,
/// the same client code for each (`KVSClient`): FlexKVS on FlexTCP driven by a client on FlexTCP
/// over the in-memory wire (in this process); FlexKVS and memcached on loopback Linux sockets; or
/// FlexKVS across a veth pair between test hosts (the kernel's TCP or FlexTCP; needs root), those
/// with a Linux-sockets client. Server on the server CPU, client on the client CPU (as `flexbench
/// rpc` pins). Prints throughput, latency percentiles, the server's CPU time per request (its
/// process's user + system time, or its thread's, over the measured window), requests per
/// server-core second, and those per-core figures as ratios against memcached. Never passes or fails.
struct KVSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kvs",
        abstract: "Key-value workload (Zipf GET/SET) against FlexKVS (FlexTCP or Linux sockets) and memcached.")

    @Option(help: "Systems to run, in order: \(FlexKVSInMemorySystem.name) (client on FlexTCP); flexkvs-linux, memcached-t1, memcached-t2 (loopback); flexkvs-linux-veth, flexkvs-flextcp-veth (test hosts, root).")
    var systems: [String] = [FlexKVSInMemorySystem.name, "flexkvs-linux", "memcached-t1", "memcached-t2"]
    @Option(help: "Client connections, one request outstanding on each.") var connections = 16
    @Option(help: "Seconds of warm-up (after loading every key).") var warmUp = 1.0
    @Option(help: "Seconds measured.") var duration = 5.0
    @Option(help: "Distinct keys.") var keys = 100_000
    @Option(help: "Key size in bytes.") var keySize = 32
    @Option(help: "Value size in bytes.") var valueSize = 64
    @Option(help: "Zipf exponent.") var skew = 0.9
    @Option(help: "Fraction of GETs (the rest are SETs).") var getFraction = 0.9
    @Flag(help: "Instead of the systems: FlexKVS's server-side time per request behind the FlexNIC model with flow-based steering, key-based steering, and key-based steering + custom DMA (the dissertation's Table 6.3), over UDP.")
    var steeringCost = false
    @Option(help: "Requests per variant for --steering-cost.") var steeringRequests = 400_000
    @Option(help: "With --steering-cost: only this variant (flow, key, key-dma).") var steeringVariant: KVSSteeringCost.Variant?
    @Flag(help: "Count the server's instructions per request with valgrind's callgrind instead of timing (needs valgrind, callgrind_annotate and objcopy): with --steering-cost only inside the serving; else for each of --systems (flexkvs-flextcp-memory: its server's rounds only, both sides stepped in turn on one thread; flexkvs-linux: the server process's user-space instructions; memcached does not run under valgrind).")
    var instructions = false
    @Option(help: "With --instructions (systems): requests of the longer run (the shorter does half).") var requests = 20_000
    @Option(help: "With --instructions (systems): server functions listed per system.") var top = 20
    @Option(help: "Instead of the systems: FlexKVS on FlexTCP and the client stepped in turn on this thread, on virtual time, until this many requests completed after the load (what --instructions runs under callgrind).")
    var interleavedRequests: Int?

    /// The workload's options as arguments of this command (for the copies run under callgrind).
    private var workloadArguments: [String] {
        ["--keys", String(keys), "--key-size", String(keySize), "--value-size", String(valueSize), "--skew", String(skew),
         "--get-fraction", String(getFraction)]
    }

    func run() throws {
        let workload = KVSWorkload(keyCount: keys, keySize: keySize, valueSize: valueSize, skew: skew, getFraction: getFraction)
        if steeringCost { return try printSteeringCost(workload) }
        if let interleavedRequests {
            let (completed, rounds) = try FlexKVSInterleavedRun.run(workload: workload, connections: connections, requests: interleavedRequests)
            func quantiles(_ times: [UInt32]) -> String {
                let sorted = times.sorted()
                return zip(["p50", "p99", "p99.9", "max"], [0.5, 0.99, 0.999, 1.0]).map { name, fraction in
                    "\(name) \(sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))])"
                }.joined(separator: ", ")
            }
            return print("\(FlexKVSInMemorySystem.name) interleaved: \(completed) requests; \(rounds.count) server rounds with work, ns per round: "
                         + "wall-clock \(quantiles(rounds.map(\.wall))); thread CPU \(quantiles(rounds.map(\.cpu)))")
        }
        if instructions {
            return try KVSInstructionCount(workloadArguments: workloadArguments, workload: workload, connections: connections,
                                           requests: requests, top: top).run(systems.filter { !$0.hasPrefix("memcached") })
        }
        print("flexbench kvs: \(keys) keys of \(keySize) B, \(valueSize) B values, Zipf \(skew), \(Int(getFraction * 100))% GET, "
              + "\(connections) connections, \(warmUp) s warm-up, \(duration) s measured; server on CPU \(CPUPlacement.cpu(for: .server)), "
              + "client on CPU \(CPUPlacement.cpu(for: .client))")
        print("system                 requests/s    p50 µs   p90 µs   p99 µs  p99.9 µs  server CPU µs/req  req/server-core-s")
        var perCore: [(system: String, rate: Double)] = []
        for system in systems {
            let (measurement, serverCPU) = try measure(system, workload)
            print(Self.row(system, measurement, serverCPU: serverCPU))
            perCore.append((system, serverCPU > 0 ? Double(measurement.requests) / serverCPU : 0))
        }
        for baseline in perCore where baseline.system.hasPrefix("memcached") && baseline.rate > 0 {
            let ratios = perCore.filter { !$0.system.hasPrefix("memcached") }
                .map { "\($0.system) \(String(format: "%.2f", $0.rate / baseline.rate))×" }
            print("requests per server-core second vs \(baseline.system): " + ratios.joined(separator: ", "))
        }
    }

    /// The --steering-cost table, on the calling thread pinned to the server CPU.
    private func printSteeringCost(_ workload: KVSWorkload) throws {
        CPUPlacement.pinCurrentThread(to: CPUPlacement.cpu(for: .server))
        print("flexbench kvs --steering-cost: \(keys) keys of \(keySize) B, \(valueSize) B values, Zipf \(skew), \(Int(getFraction * 100))% GET, "
              + "\(steeringRequests) requests per variant as memcached binary UDP frames through the FlexNIC model (4 queues, one serving "
              + "thread on CPU \(CPUPlacement.cpu(for: .server))); FlexKVS's time from queue entry to reply datagram, per request, "
              + "over chunks of \(KVSSteeringCost.chunk) requests")
        let variants = steeringVariant.map { [$0] } ?? KVSSteeringCost.Variant.allCases
        if instructions { return try printSteeringInstructions(variants) }
        print("steering               median ns/req   mean ns/req")
        let cost = KVSSteeringCost(workload: workload, requests: steeringRequests)
        for variant in variants {
            let (median, mean) = try cost.measure(variant)
            print(variant.title.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: "%14.0f%14.0f", median, mean))
        }
    }

    /// Runs each variant in a copy of this program under callgrind, collecting only inside the
    /// serving (`SteeringRig.serveChunk`), and prints instructions per request.
    private func printSteeringInstructions(_ variants: [KVSSteeringCost.Variant]) throws {
        let directory = try ProfileCommand.makeTemporaryDirectory()
        let binary = directory + "/flexbench-stripped"
        try Tool.run("objcopy", ["--strip-debug", try ProfileCommand.ownExecutable(), binary])
        defer { try? FileManager.default.removeItem(atPath: binary) }
        print("steering               instructions/req (callgrind, serving only)")
        for variant in variants {
            let file = "\(directory)/callgrind.steering-\(variant.rawValue).out"
            try Tool.run("valgrind", ["--tool=callgrind", "--toggle-collect=*serveChunk*", "--callgrind-out-file=\(file)", "--log-file=\(file).log",
                                      binary, "kvs", "--steering-cost", "--steering-variant", variant.rawValue,
                                      "--steering-requests", String(steeringRequests)] + workloadArguments)
            guard let total = CallgrindReport.totalInstructions(in: try String(contentsOfFile: file, encoding: .utf8)) else {
                throw ValidationError("no instruction total in \(file)")
            }
            print(variant.title.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: "%17.0f", Double(total) / Double(steeringRequests)))
        }
        print("callgrind output in \(directory)")
    }

    /// Loads the keys into `system`, runs the mix and returns what the client measured and the
    /// server's CPU seconds over the measured window.
    private func measure(_ system: String, _ workload: KVSWorkload) throws -> (KVSMeasurement, Double) {
        if system == FlexKVSInMemorySystem.name {
            return try FlexKVSInMemorySystem.run(connections: connections, memoryMiB: 1024) { transport, serverCPU in
                try drive(KVSClient(workload: workload, transport: transport), serverCPU: serverCPU)
            }
        }
        let server = try KVSServerProcess(system: system)
        defer { server.stop() }
        return try server.withClient {
            try drive(KVSClient(workload: workload, transport: try LinuxClientTransport(address: server.address, port: server.port,
                                                                                        count: connections)),
                      serverCPU: server.cpuSeconds)
        }
    }

    /// Loads, warms up and measures with `client`; returns the measurement and the server CPU seconds in its window.
    private func drive<Transport>(_ client: KVSClient<Transport>, serverCPU: () throws -> Double) throws -> (KVSMeasurement, Double) {
        try client.load()
        var before: Result<Double, any Error> = .success(0)
        let measurement = try client.run(warmUp: warmUp, duration: duration) { before = Result { try serverCPU() } }
        return (measurement, try serverCPU() - before.get())
    }

    private static func row(_ system: String, _ measurement: KVSMeasurement, serverCPU: Double) -> String {
        let sorted = measurement.latencies.sorted()
        func percentile(_ fraction: Double) -> String {
            guard !sorted.isEmpty else { return "-" }
            return String(format: "%.1f", Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]) / 1000)
        }
        let rate = Double(measurement.requests) / measurement.seconds
        let perRequest = measurement.requests > 0 ? serverCPU / Double(measurement.requests) * 1e6 : 0
        let perCore = serverCPU > 0 ? Double(measurement.requests) / serverCPU : 0
        return system.padding(toLength: 22, withPad: " ", startingAt: 0)
            + String(format: "%11.0f", rate) + [0.5, 0.9, 0.99, 0.999].map { percentile($0).leftPadded(9) }.joined()
            + String(format: "%19.2f%19.0f", perRequest, perCore)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
