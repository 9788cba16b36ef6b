import ArgumentParser
import FlexBench

/// `flexbench interleaved`: both sides of an RPC echo (or a bulk stream) on one thread for a fixed number of messages,
/// to count instructions per message with callgrind.
struct InterleavedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interleaved",
        abstract: "RPC echo (or a bulk stream) with both FlexTCP sides stepped in turn on one thread for a fixed number of messages.",
        discussion: """
            No second thread and no spinning while the other side runs: a fixed amount of work, for \
            `valgrind --tool=callgrind` (instructions per message = the difference between two message counts, \
            divided by the difference of the counts, cancels setup).
            """)

    @OptionGroup var echo: InterleavedEchoOptions
    @Option(help: "Messages the client completes.") var messages: UInt64 = 100_000
    @Option(help: "Rounds to step both sides after the client stops issuing requests (empty passes, for their cost).")
    var idleRounds = 0

    func run() throws {
        let (path, spec) = try echo.pathAndSpec()
        let (system, connections, size, pipeline) = (echo.system, echo.connections, echo.size, echo.pipeline)
        let outcome: InterleavedRun.Outcome
        do {
            outcome = try InterleavedRun.run(spec, path: path, messages: messages, idleRounds: idleRounds, mtu: echo.mtu,
                                             congestionControl: echo.congestionControl,
                                             warmUpNanoseconds: UInt64(echo.warmUpMilliseconds * 1e6))
        } catch {
            print("flexbench: \(error.description)")
            throw ExitCode.failure
        }
        let perMessage = Double(outcome.nanoseconds) / Double(max(outcome.messages, 1))
        print("\(system): \(outcome.messages) messages, \(connections) connection(s), \(size) B, pipeline \(pipeline), in "
              + "\(outcome.rounds) rounds, \(outcome.nanoseconds / 1_000_000) ms: \(Int(perMessage)) ns per message (both sides on one thread), "
              + String(format: "%.3f Gbit/s in virtual time", outcome.virtualGigabitsPerSecond(messageBytes: size))
              + (idleRounds > 0 ? "; then \(idleRounds) idle rounds" : "")
              + (outcome.errors > 0 ? ", \(outcome.errors) ERRORS" : ""))
        if outcome.errors > 0 || outcome.messages < messages { throw ExitCode.failure }
    }
}

/// The RPC echo (or bulk stream) an interleaved run does (shared by `interleaved` and `profile`).
struct InterleavedEchoOptions: ParsableArguments {
    static let paths: [String: FlexTCPApplicationPath] = ["flextcp-memory": .contexts, "flextcp-rtc-memory": .runToCompletion]

    @Option(help: "flextcp-memory (through the library's contexts) or flextcp-rtc-memory (run to completion).")
    var system = "flextcp-memory"
    @Option(help: "echo, or bulk (a stream client → server; a message is one write of --size bytes).")
    var workload: Workload = .echo
    @Option(help: "Concurrent connections.") var connections = 1
    @Option(help: "Bytes per message.") var size = 64
    @Option(help: "Requests in flight per connection.") var pipeline = 1
    @Option(help: "MTU of the in-memory wire (IP packet bytes, 576...65535).") var mtu = FlexTCPMemorySystem.defaultMTU
    @Option(help: "Virtual milliseconds both sides run before messages are counted (past congestion control's slow start).")
    var warmUpMilliseconds = Double(InterleavedRun.defaultWarmUpNanoseconds) / 1e6
    @Option(help: "Congestion control of both stacks: dctcp (default) or off.")
    var congestionControl = BenchmarkCongestionControl.systemsDefault

    /// The application path of `system` and the echo workload, or a validation error.
    func pathAndSpec() throws -> (FlexTCPApplicationPath, WorkloadSpec) {
        if let problem = FlexTCPMemorySystem.mtuProblem(mtu) { throw ValidationError(problem) }
        guard warmUpMilliseconds >= 0, warmUpMilliseconds < 1e9 else { throw ValidationError("--warm-up-milliseconds must be 0 or more") }
        guard let path = Self.paths[system] else {
            throw ValidationError("--system must be flextcp-memory or flextcp-rtc-memory (the systems that step both sides on one caller-driven thread)")
        }
        guard [.echo, .bulk].contains(workload) else { throw ValidationError("--workload must be echo or bulk") }
        let spec = WorkloadSpec(workload: workload, connections: connections, size: size, pipeline: pipeline)
        do {
            try spec.validate()
        } catch {
            throw ValidationError(error.description)
        }
        return (path, spec)
    }

    /// The options as `flexbench interleaved` arguments.
    var arguments: [String] {
        ["--system", system, "--workload", workload.rawValue, "--connections", String(connections), "--size", String(size), "--pipeline", String(pipeline),
         "--mtu", String(mtu), "--congestion-control", congestionControl.rawValue,
         "--warm-up-milliseconds", String(warmUpMilliseconds)]
    }
}

extension BenchmarkCongestionControl: ExpressibleByArgument {}
