import ArgumentParser

/// `flexbench bulk`: FlexTCP ↔ FlexTCP bulk throughput on the in-memory wire (one thread drives both
/// stacks). Prints Gbit/s; never passes or fails on time.
struct BulkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bulk",
        abstract: "Bulk transfer between two FlexTCP stacks on the in-memory wire, one core for both.")

    @Option(help: "Concurrent connections.") var connections = 1
    @Option(help: "Bytes per connection.") var bytes: UInt64 = 200_000_000
    @Option(help: "Receive and transmit ring size per connection, in bytes.") var ringSize: UInt32 = 1 << 20
    @Option(help: "Give up after this many seconds.") var seconds = 30.0
    @Flag(help: "Leave rate-based DCTCP off (flows unlimited).") var noCongestionControl = false

    func validate() throws {
        guard connections >= 1, connections <= 1024 else { throw ValidationError("--connections must be 1...1024") }
        guard bytes > 0 else { throw ValidationError("--bytes must be positive") }
        guard ringSize >= 4096, ringSize <= 1 << 28 else { throw ValidationError("--ring-size must be 4 KiB ... 256 MiB") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
    }

    func run() throws {
        let transfer = InMemoryBulkTransfer(connections: connections, bytesPerConnection: bytes, ringSize: ringSize,
                                            congestionControl: !noCongestionControl)
        let result = try transfer.run(deadlineSeconds: seconds)
        let seconds = Double(result.nanoseconds) / 1e9
        print("flexbench bulk: FlexTCP -> FlexTCP on the in-memory wire, \(connections) connection(s) x \(bytes) bytes, "
              + "rings \(ringSize) B, congestion control \(noCongestionControl ? "off" : "DCTCP"), 1 thread")
        print("received \(result.bytesReceived) bytes in \(String(format: "%.3f", seconds)) s: "
              + "\(String(format: "%.2f", result.gigabitsPerSecond)) Gbit/s; "
              + "\(result.completedConnections)/\(connections) connections completed")
        if result.completedConnections < connections { throw ExitCode.failure }
    }
}
