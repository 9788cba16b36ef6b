import ArgumentParser
import FlexPort
import FlexTCPTools

/// `flextcp echo`: an echo server for any number of connections, until stopped.
struct EchoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo", abstract: "Echo every byte each connection sends, until stopped (Ctrl-C).")

    @OptionGroup var stack: StackOptions

    @Option(help: "The TCP port to listen on.")
    var port: UInt16

    func run() throws {
        let (loop, echo) = try stack.makeService(command: "echo", port: port) { EchoService(context: $0, port: port) }
        print("flextcp echo: listening on \(stack.address):\(port); stop with Ctrl-C")
        StopSignal.install()
        loop.run(clock: MonotonicTimeSource(), step: { _ in echo.step() }, until: { StopSignal.isRequested })
        StackOptions.reportPort(of: loop, command: "echo")
        print("flextcp echo: served \(counted(echo.connectionsServed, "connection")), echoed \(counted(echo.bytesEchoed, "byte"))")
    }
}
