import ArgumentParser
import FlexPort
import FlexTCP
import FlexTCPTools

/// `flextcp service-send`: `send`, as an application attached to a flextcpd instead of a stack of its own.
struct ServiceSendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service-send",
        abstract: "Attach to flextcpd and send N bytes of a seeded stream on each of C connections, then close (R rounds).",
        discussion: """
            Connection I sends the stream of seed S + I. Prints `conn I bytes=N sha256=HEX` per connection \
            and exits 0 only if every connection completed (and, with --echo, its echo matched byte for byte).
            """)

    @Option(help: "The flextcpd socket (default: $FLEXTCP_SERVICE, $XDG_RUNTIME_DIR/flextcpd.sock or /run/flextcp/flextcpd.sock).")
    var service: String?

    @OptionGroup var transfer: TransferOptions

    @Option(help: "Transfers one after another on the same attachment, each with new connections once the last one's are closed.")
    var rounds = 1

    func validate() throws {
        _ = try transfer.destination()
        guard transfer.connections > 0, transfer.connections <= 65536 else { throw ValidationError("--connections must lie in 1...65536") }
        guard rounds > 0 else { throw ValidationError("--rounds must be at least 1") }
    }

    func run() throws {
        let (address, port) = try transfer.destination()
        StopSignal.install()
        let failures = try FlexTCPStack.withAttachedStack(service: service ?? FlexTCPStack.defaultServicePath) { stack in
            let context = try stack.makeContext()
            let clock = MonotonicTimeSource()
            var failures = 0
            for _ in 0..<rounds where failures == 0 && !StopSignal.isRequested {
                let client = transfer.makeClient(context: context, address: address, port: port)
                while !client.isFinished && !StopSignal.isRequested {
                    if !client.step() { context.wait(timeout: .milliseconds(10)) }
                }
                let end = clock.now() + SendCommand.closingLinger
                while !client.isClosed && !StopSignal.isRequested && clock.now() <= end {
                    if !client.step() { context.wait(timeout: .milliseconds(10)) }
                }
                failures += SendCommand.report(client, command: "service-send")
            }
            return failures
        }
        if failures > 0 { throw ExitCode.failure }
    }
}
