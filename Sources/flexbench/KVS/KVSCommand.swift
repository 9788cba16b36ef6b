import ArgumentParser
import FlexTestHosts
import Foundation

/// `flexbench kvs`: the dissertation's key-value workload against FlexKVS and Debian's memcached,
/// the same Linux-sockets client for each: on loopback, or across a veth pair between test hosts
/// (FlexKVS on the kernel's TCP or on FlexTCP; needs root); throughput, latency percentiles and the
/// server's CPU time per request (its process's user + system time over the measured window).
/// Prints figures; never passes or fails.
struct KVSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kvs",
        abstract: "Key-value workload (Zipf GET/SET) against FlexKVS (Linux sockets or FlexTCP) and memcached.")

    @Option(help: "Systems to run, in order: flexkvs-linux, memcached-t1, memcached-t2 (loopback); flexkvs-linux-veth, flexkvs-flextcp-veth (test hosts, root).")
    var systems: [String] = ["flexkvs-linux", "memcached-t1", "memcached-t2"]
    @Option(help: "Client connections, one request outstanding on each.") var connections = 16
    @Option(help: "Seconds of warm-up (after loading every key).") var warmUp = 1.0
    @Option(help: "Seconds measured.") var duration = 5.0
    @Option(help: "Distinct keys.") var keys = 100_000
    @Option(help: "Key size in bytes.") var keySize = 32
    @Option(help: "Value size in bytes.") var valueSize = 64
    @Option(help: "Zipf exponent.") var skew = 0.9
    @Option(help: "Fraction of GETs (the rest are SETs).") var getFraction = 0.9

    func run() throws {
        let workload = KVSWorkload(keyCount: keys, keySize: keySize, valueSize: valueSize, skew: skew, getFraction: getFraction)
        print("flexbench kvs: \(keys) keys of \(keySize) B, \(valueSize) B values, Zipf \(skew), \(Int(getFraction * 100))% GET, "
              + "\(connections) connections, \(warmUp) s warm-up, \(duration) s measured")
        print("system                requests/s    p50 µs   p90 µs   p99 µs  p99.9 µs  server CPU µs/req  req/server-core-s")
        for system in systems {
            let server = try KVSServerProcess(system: system)
            defer { server.stop() }
            let client = KVSClient(workload: workload, address: server.address, port: server.port)
            var cpuBefore = 0.0
            let measurement = try server.withClient {
                try client.load()
                return try client.run(connections: connections, warmUp: warmUp, duration: duration) { cpuBefore = server.cpuSeconds() }
            }
            let cpu = server.cpuSeconds() - cpuBefore
            print(Self.row(system, measurement, serverCPU: cpu))
        }
    }

    private static func row(_ system: String, _ measurement: KVSClient.Measurement, serverCPU: Double) -> String {
        let sorted = measurement.latencies.sorted()
        func percentile(_ fraction: Double) -> String {
            guard !sorted.isEmpty else { return "-" }
            return String(format: "%.1f", Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]) / 1000)
        }
        let rate = Double(measurement.requests) / measurement.seconds
        let perRequest = measurement.requests > 0 ? serverCPU / Double(measurement.requests) * 1e6 : 0
        let perCore = serverCPU > 0 ? Double(measurement.requests) / serverCPU : 0
        return system.padding(toLength: 21, withPad: " ", startingAt: 0)
            + String(format: "%11.0f", rate) + [0.5, 0.9, 0.99, 0.999].map { percentile($0).leftPadded(9) }.joined()
            + String(format: "%19.2f%19.0f", perRequest, perCore)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
