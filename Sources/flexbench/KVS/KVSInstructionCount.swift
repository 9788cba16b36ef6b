import ArgumentParser
import FlexBench
import Foundation

/// `flexbench kvs --instructions` (without `--steering-cost`): the server's user-space instructions
/// per request under valgrind's callgrind, each system run twice, with `requests` and half as many
/// requests after the same load, so that start-up, the load and teardown cancel in the difference.
///
/// - `flexkvs-flextcp-memory`: `FlexKVSInterleavedRun` in a copy of this program, callgrind
///   collecting only in the server's rounds (its FlexTCP stack and FlexKVS; the client not counted).
/// - `flexkvs-linux`: the server process under callgrind (every thread of it), driven over
///   loopback by the same client; the kernel's work (sockets, epoll) is not counted, so this figure
///   is the user-space part only. memcached cannot run under valgrind (its `setrlimit` of the open
///   files limit is refused there), so it is not offered: compare it by CPU time per request.
///
/// Contract: prints a row per system and the costliest server functions per request of each;
/// throws when a tool fails or a run completes too few requests.
struct KVSInstructionCount {
    let workloadArguments: [String]
    let workload: KVSWorkload
    let connections: Int
    let requests: Int
    let top: Int

    static let systems = [FlexKVSInMemorySystem.name, "flexkvs-linux"]

    func run(_ systems: [String]) throws {
        for system in systems where !Self.systems.contains(system) {
            throw ValidationError("--instructions measures \(Self.systems.joined(separator: " and ")), not \(system)")
        }
        let directory = try ProfileCommand.makeTemporaryDirectory()
        let flexbench = directory + "/flexbench-stripped"
        let flexkvs = directory + "/flexkvs-stripped"
        try Tool.run("objcopy", ["--strip-debug", try ProfileCommand.ownExecutable(), flexbench])
        if systems.contains(where: { $0.hasPrefix("flexkvs-linux") }) {
            let ownDirectory = URL(fileURLWithPath: try ProfileCommand.ownExecutable()).deletingLastPathComponent()
            try Tool.run("objcopy", ["--strip-debug", ownDirectory.appendingPathComponent("flexkvs").path, flexkvs])
        }
        defer {
            try? FileManager.default.removeItem(atPath: flexbench)
            try? FileManager.default.removeItem(atPath: flexkvs)
        }
        print("flexbench kvs --instructions: \(workload.keyCount) keys of \(workload.keySize) B, \(workload.valueSize) B values, "
              + "Zipf \(workload.skew), \(Int(workload.getFraction * 100))% GET, \(connections) connections; server instructions per request "
              + "under callgrind = (I(\(requests) requests) − I(\(requests / 2))) / their difference (load and start-up cancel)")
        var listings: [(system: String, functions: [(name: String, instructions: Double)])] = []
        print("system                 instructions/req")
        for system in systems {
            let long = try measure(system, requests: requests, directory: directory, flexbench: flexbench, flexkvs: flexkvs)
            let short = try measure(system, requests: requests / 2, directory: directory, flexbench: flexbench, flexkvs: flexkvs)
            guard let perRequest = CallgrindReport.instructionsPerMessage(long: (long.instructions, UInt64(long.requests)),
                                                                         short: (short.instructions, UInt64(short.requests))) else {
                throw ValidationError("\(system): the long run completed no more requests than the short one")
            }
            print(system.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: "%17.0f", perRequest))
            let annotations = try [long.file, short.file].map { file in
                CallgrindReport.topFunctions(inAnnotation: try Tool.run("callgrind_annotate", ["--inclusive=no", "--threshold=100", file]), count: .max)
            }
            let functions = CallgrindReport.perMessageFunctions(long: annotations[0], short: annotations[1],
                                                                messages: UInt64(long.requests - short.requests))
            listings.append((system, Array(functions.prefix(top))))
        }
        for (system, functions) in listings {
            print("\(system): top \(functions.count) server functions by self instructions per request")
            for (function, name) in zip(functions, ProfileCommand.demangled(functions.map(\.name))) {
                print(String(format: "%10.0f  ", function.instructions) + String(name.prefix(150)))
            }
        }
        print("callgrind output in \(directory)")
    }

    /// One run of `system` under callgrind: the server's instruction total, the requests completed
    /// after the load, and the output file.
    private func measure(_ system: String, requests: Int, directory: String, flexbench: String,
                         flexkvs: String) throws -> (instructions: UInt64, requests: Int, file: String) {
        let file = "\(directory)/callgrind.\(system).\(requests).out"
        let callgrind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=\(file)", "--log-file=\(file).log"]
        let completed: Int
        if system == FlexKVSInMemorySystem.name {
            let printed = try Tool.run(callgrind[0], Array(callgrind.dropFirst()) + ["--toggle-collect=*measuredStep*", flexbench, "kvs",
                                       "--interleaved-requests", String(requests), "--connections", String(connections)] + workloadArguments)
            // "…: <n> requests; …"
            let words = printed.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ";" })
            guard let at = words.firstIndex(of: "requests"), at > 0, let count = Int(words[at - 1]) else {
                throw ValidationError("unexpected output of the interleaved run: \(printed)")
            }
            completed = count
        } else {
            let server = try KVSServerProcess(system: system, instrumentation: callgrind, flexkvs: flexkvs)
            defer { server.stop() }
            completed = try server.withClient {
                let client = KVSClient(workload: workload, transport: try LinuxClientTransport(address: server.address, port: server.port,
                                                                                                count: connections))
                try client.load()
                return try client.run(warmUp: 0, duration: 1e6, requestLimit: requests) {}.requests
            }
            server.stopGracefully()
        }
        guard let instructions = CallgrindReport.totalInstructions(in: try String(contentsOfFile: file, encoding: .utf8)) else {
            throw ValidationError("no instruction total in \(file)")
        }
        return (instructions, completed, file)
    }
}
