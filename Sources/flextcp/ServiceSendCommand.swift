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

    @OptionGroup var transfer: TransferOptions

    func validate() throws {
        _ = try transfer.destination()
        guard transfer.connections > 0, transfer.connections <= 65536 else { throw ValidationError("--connections must lie in 1...65536") }
    }

    func run() throws {
        let (address, port) = try transfer.destination()
        StopSignal.install()
        let failures = try FlexTCPStack.withAttachedStack(service: service ?? FlexTCPStack.defaultServicePath) { stack in
            let context = try stack.makeContext()
            let client = transfer.makeClient(context: context, address: address, port: port)
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
