import ArgumentParser
import CFlexShim
import FlexTCPCore

/// The `flextcp` command: one subcommand per thing the stack can show or do on a wire.
@main
struct FlexTCPTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flextcp",
        abstract: "The FlexTCP stack on raw frames.",
        version: FlexTCPVersion.string,
        subcommands: [DemoCommand.self, HostCommand.self, EchoCommand.self, SinkCommand.self, SendCommand.self, ServiceSendCommand.self, ServiceGarbageCommand.self,
                      StatsCommand.self, RunCommand.self])

    /// Runs the command with standard output line-buffered, so that each report line reaches a file or
    /// pipe (`flextcp sink | tee`, `tail -f`) when it is printed, not when the process exits.
    static func main() {
        flexshim_line_buffer_stdout()
        main(nil)
    }
}
