import ArgumentParser
import FlexTCPCore

/// The `flexbench` command: one subcommand per benchmark suite. Benchmarks print figures and ratios;
/// they never pass or fail on time.
@main
struct Flexbench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flexbench",
        abstract: "FlexTCP benchmarks.",
        version: FlexTCPVersion.string,
        subcommands: [RPCCommand.self, BulkCommand.self, ChurnCommand.self, InterleavedCommand.self, ProfileCommand.self, SystemsCommand.self, WireCommand.self,
                      CongestionCommand.self, IdleConnectionsCommand.self, NICCommand.self, KVSCommand.self])
}
