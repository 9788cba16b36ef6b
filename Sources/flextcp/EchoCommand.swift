import ArgumentParser
import FlexPort
import FlexTCPCore
import FlexTCPTools

/// `flextcp echo`: an echo server for any number of connections, until stopped.
struct EchoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo", abstract: "Echo every byte each connection sends, until stopped (Ctrl-C).")

    @OptionGroup var stack: StackOptions

    @Option(help: "The TCP port to listen on.")
    var port: UInt16

    func run() throws {
        let (stack, echo) = try stack.makeService(command: "echo", port: port) { stack throws(StackError) in
            try EchoService(stack: stack, port: port)
        }
        print("flextcp echo: listening on \(stack.network.address):\(port); stop with Ctrl-C")
        StopSignal.install()
        stack.run(clock: MonotonicTimeSource(), step: { echo.step(now: $0) }, until: { StopSignal.isRequested })
        StackOptions.reportPort(of: stack, command: "echo")
        print("flextcp echo: served \(counted(echo.connectionsServed, "connection")), echoed \(counted(echo.bytesEchoed, "byte"))")
    }
}
