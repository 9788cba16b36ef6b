import ArgumentParser

/// The `flextcp` command: one subcommand per thing the stack can show or do on a wire.
@main
struct FlexTCPTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flextcp",
        abstract: "The FlexTCP stack on raw frames.",
        subcommands: [DemoCommand.self, HostCommand.self, EchoCommand.self, SinkCommand.self, SendCommand.self])
}
