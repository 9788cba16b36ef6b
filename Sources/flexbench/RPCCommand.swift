import ArgumentParser
import FlexBench

/// `flexbench rpc`: RPC echo (closed loop) or pipelined one-way RPC.
struct RPCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "RPC echo (closed loop, latency per request) or pipelined one-way RPC, FlexTCP vs Linux.")

    @OptionGroup var options: WorkloadOptions
    @Option(help: "echo, server-receive or server-send.") var workload: Workload = .echo
    @Option(help: "Bytes per message.") var size = 64
    @Option(help: "Requests in flight per connection (echo) or messages queued ahead (one-way).") var pipeline = 1
    @Option(help: "CPU cycles the server spends per message.") var delayCycles: UInt64 = 0

    func validate() throws {
        guard [.echo, .serverReceive, .serverSend].contains(workload) else {
            throw ValidationError("--workload must be echo, server-receive or server-send (see `flexbench bulk` and `flexbench churn`)")
        }
    }

    func run() throws {
        try options.execute(WorkloadSpec(workload: workload, connections: options.connections, size: size, pipeline: pipeline,
                                          delayCycles: delayCycles), title: "rpc")
    }
}

extension Workload: ExpressibleByArgument {}

/// `flexbench bulk`: a byte stream per connection, client to server, in Gbit/s.
struct BulkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bulk", abstract: "Bulk stream client → server, FlexTCP vs Linux.")

    @OptionGroup var options: WorkloadOptions
    @Option(help: "Bytes per write.") var size = 65536

    func run() throws {
        try options.execute(WorkloadSpec(workload: .bulk, connections: options.connections, size: size), title: "bulk")
    }
}

/// `flexbench churn`: connect, one request and response, close — connections per second.
struct ChurnCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "churn", abstract: "Connection churn (connect, one RPC, close), FlexTCP vs Linux.")

    @OptionGroup var options: WorkloadOptions
    @Option(help: "Bytes per request and response.") var size = 64

    func run() throws {
        try options.execute(WorkloadSpec(workload: .churn, connections: options.connections, size: size), title: "churn")
    }
}

/// `flexbench systems`: what can run.
struct SystemsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "systems", abstract: "List the systems under test.")

    func run() {
        for system in SystemCatalog.all {
            print("\(system.name)\(system.needsRoot ? " (root)" : "") (\(InterfaceMTU.description(system.mtu))): \(system.summary)")
        }
    }
}
