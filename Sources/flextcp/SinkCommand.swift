import ArgumentParser
import FlexPort
import FlexTCPTools

/// `flextcp sink`: reads every connection to its end and prints its byte count and SHA-256.
struct SinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sink",
        abstract: "Read each connection to EOF and print `conn REMOTE_IP:PORT bytes=N sha256=HEX`, until stopped (Ctrl-C).")

    @OptionGroup var stack: StackOptions

    @Option(help: "The TCP port to listen on.")
    var port: UInt16

    func run() throws {
        let (loop, sink) = try stack.makeService(command: "sink", port: port) { SinkService(context: $0, port: port) }
        printError("flextcp sink: listening on \(stack.address):\(port); stop with Ctrl-C")
        StopSignal.install()
        loop.run(clock: MonotonicTimeSource(), step: { _ in
            let busy = sink.step()
            sink.drainReports { print($0.line) }
            return busy
        }, until: { StopSignal.isRequested })
        StackOptions.reportPort(of: loop, command: "sink")
        if sink.failedConnections > 0 {
            printError("flextcp sink: \(counted(sink.failedConnections, "connection")) failed before the end of the stream")
            throw ExitCode.failure
        }
    }
}
