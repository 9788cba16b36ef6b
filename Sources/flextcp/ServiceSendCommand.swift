import ArgumentParser
import FlexPort
import FlexTCP
import FlexTCPTools

/// `flextcp service-send`: `send`, as an application attached to a flextcpd instead of a stack of its own.
struct ServiceSendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service-send",
        abstract: "Attach to flextcpd and send N bytes of a seeded stream on each of C connections, then close.",
        discussion: """
            Connection I sends the stream of seed S + I. Prints `conn I bytes=N sha256=HEX` per connection \
            and exits 0 only if every connection completed (and, with --echo, its echo matched byte for byte).
            """)

    @Option(help: "The flextcpd socket (default: $FLEXTCP_SERVICE, $XDG_RUNTIME_DIR/flextcpd.sock or /run/flextcp/flextcpd.sock).")
    var service: String?

    @Option(help: "The server, IP:PORT.")
    var to: String

    @Option(help: "Bytes to send on each connection.")
    var bytes: UInt64

    @Option(help: "Connections to open at once.")
    var connections = 1

    @Option(help: "The stream's seed.")
    var seed: UInt64 = 1

    @Flag(help: "Read the echo back and verify it.")
    var echo = false

    func validate() throws {
        _ = try SendCommand.destination(to)
        guard connections > 0, connections <= 65536 else { throw ValidationError("--connections must lie in 1...65536") }
    }

    func run() throws {
        let (address, port) = try SendCommand.destination(to)
        StopSignal.install()
        let failures = try FlexTCPStack.withAttachedStack(service: service ?? FlexTCPStack.defaultServicePath) { stack in
            let context = try stack.makeContext()
            let client = SendClient(context: context, to: address, port: port, bytesPerConnection: bytes, connections: connections,
                                    seed: seed, verifiesEcho: echo)
            let clock = MonotonicTimeSource()
            while !client.isFinished && !StopSignal.isRequested {
                if !client.step() { context.wait(timeout: .milliseconds(10)) }
            }
            let end = clock.now() + SendCommand.closingLinger
            while !client.isClosed && !StopSignal.isRequested && clock.now() <= end {
                if !client.step() { context.wait(timeout: .milliseconds(10)) }
            }
            return SendCommand.report(client, command: "service-send")
        }
        if failures > 0 { throw ExitCode.failure }
    }
}
