import FlexBench
import FlexTestHosts
import Foundation

/// A key-value server process for `flexbench kvs`: `flexkvs` (the binary next to `flexbench`)
/// or Debian's memcached, on loopback (`flexkvs-linux`, `memcached-t1`, `memcached-t2`), or on a
/// test host at 198.18.13.2 with the client's namespace at 198.18.13.1 across a veth pair
/// (`flexkvs-linux-veth`: the kernel's TCP; `flexkvs-flextcp-veth`: FlexTCP on the veth end).
///
/// Contract: `init` starts it and waits until it accepts connections; `stop` kills it and removes
/// the test hosts (also on deinit). `withClient` runs the client where it must run (its namespace),
/// its thread pinned to the client CPU; the server process (all its threads) is pinned to the
/// server CPU with `taskset`, as `flexbench rpc` pins its workers.
final class KVSServerProcess {
    static let systems = ["flexkvs-linux", "memcached-t1", "memcached-t2", "flexkvs-linux-veth", "flexkvs-flextcp-veth"]
    let port: UInt16
    /// The server's address (host byte order).
    let address: UInt32
    private let command: RunningCommand
    private let network: TestNetwork?
    private let clientNamespace: TestNamespace?

    /// Starts `system`; with `instrumentation` (a command prefix such as valgrind's) the server runs
    /// under it, and `flexkvs` replaces the binary next to `flexbench` when given.
    init(system: String, instrumentation: [String] = [], flexkvs: String? = nil) throws {
        port = UInt16.random(in: 20_000...40_000)
        let flexkvs = flexkvs
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("flexkvs").path
        let pinned = ["taskset", "-c", "\(CPUPlacement.cpu(for: .server))"] + instrumentation
        let serverArguments = pinned + [flexkvs, "--port", "\(port)", "--threads", "1", "--memory", "1024"]
        switch system {
        case "flexkvs-linux", "memcached-t1", "memcached-t2":
            network = nil
            clientNamespace = nil
            address = 0x7F00_0001
            if system == "flexkvs-linux" {
                command = try RunningCommand(serverArguments)
            } else {
                command = try RunningCommand(pinned + ["memcached", "-p", "\(port)", "-U", "0", "-l", "127.0.0.1", "-m", "1024",
                                              "-t", system.hasSuffix("t1") ? "1" : "2"] + (geteuid() == 0 ? ["-u", "root"] : []))
            }
        case "flexkvs-linux-veth", "flexkvs-flextcp-veth":
            TestNetwork.removeAllOnTermination()
            let network = TestNetwork()
            self.network = network
            let serverSide = try network.makeNamespace()
            let clientSide = try network.makeNamespace()
            clientNamespace = clientSide
            let pair = try network.makeVethPair(between: serverSide, and: clientSide)
            try clientSide.assign(TestAddress("198.18.13.1/24"), to: pair.second.name)
            address = 0xC612_0D02
            if system == "flexkvs-linux-veth" {
                try serverSide.assign(TestAddress("198.18.13.2/24"), to: pair.first.name)
                command = try serverSide.start(serverArguments)
            } else {
                command = try serverSide.start(serverArguments + ["--transport", "flextcp", "--interface", pair.first.name, "--ip", "198.18.13.2/24"])
            }
        default:
            throw KVSBenchmarkError("unknown system \(system) (\(Self.systems.joined(separator: ", ")))")
        }
        // An instrumented server starts slowly (valgrind translates it first).
        let attempts = instrumentation.isEmpty ? 500 : 6_000
        try withClient { close(try LinuxClientTransport.connect(address: address, port: port, attempts: attempts)) }
    }

    deinit { stop() }

    func stop() {
        _ = command.stop()
        _ = network?.teardown()
    }

    /// Asks the server to end (SIGTERM, which memcached and flexkvs answer by exiting, so that an
    /// instrumentation writes its output) and waits up to `timeout` before killing it.
    func stopGracefully(timeout: Duration = .seconds(120)) {
        kill(command.processID, SIGTERM)
        _ = command.wait(timeout: timeout)
        stop()
    }

    /// Runs `body` in the client's namespace (or right here for loopback) on a thread pinned to the client CPU.
    func withClient<Result>(_ body: () throws -> Result) throws -> Result {
        guard let clientNamespace else {
            CPUPlacement.pinCurrentThread(to: CPUPlacement.cpu(for: .client))
            return try body()
        }
        return try clientNamespace.perform {
            CPUPlacement.pinCurrentThread(to: CPUPlacement.cpu(for: .client))
            return try body()
        }
    }

    /// The process's user + system CPU time so far, in seconds (all its threads, FlexTCP's stack
    /// thread included); throws when /proc cannot tell.
    func cpuSeconds() throws -> Double { Double(try ProcessCPUTime.nanoseconds(of: command.processID)) / 1e9 }
}
