import ArgumentParser

/// The `flexnvme` command: an NVMe/TCP target and host on FlexTCP or the kernel's sockets.
@main
struct FlexNVMeTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flexnvme",
        abstract: "NVMe over TCP: a target serving one namespace, and a host to use it.",
        subcommands: [TargetCommand.self, ConnectCommand.self, IdentifyCommand.self, ReadCommand.self, WriteCommand.self, BenchCommand.self])
}
