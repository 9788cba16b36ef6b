import ArgumentParser
import FlexPort
import FlexTCP
import FlexTCPTools
import FlexWire

/// `flextcp send`: opens connections, sends a seeded stream on each, closes, optionally verifies the echo.
struct SendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send N bytes of a seeded pseudo-random stream on each of C connections, then close.",
        discussion: """
            Connection I sends the stream of seed S + I. Prints `conn I bytes=N sha256=HEX` per connection \
            and exits 0 only if every connection completed (and, with --echo, its echo matched byte for byte).
            """)

    @OptionGroup var stack: StackOptions

    @OptionGroup var transfer: TransferOptions

    func validate() throws {
        _ = try transfer.destination()
        guard transfer.connections > 0, transfer.connections <= stack.connectionCapacity else {
            throw ValidationError("--connections must lie in 1...\(stack.connectionCapacity) (see --connection-capacity)")
        }
    }

    /// How long a finished run still serves its connections so that our FINs reach the peer and
    /// are acknowledged (each connection completes once its bytes are acknowledged).
    static let closingLinger: UInt64 = 2_000_000_000

    func run() throws {
        let (address, port) = try transfer.destination()
        let loop = try stack.makeLoop(command: "send")
        let context: Context
        do {
            context = try loop.makeContext()
        } catch {
            printError("flextcp send: cannot attach a context to the runtime: \(error)")
            throw ExitCode.failure
        }
        let clock = MonotonicTimeSource()
        let start = clock.now()
        let client = transfer.makeClient(context: context, address: address, port: port)
        StopSignal.install()
        loop.run(clock: clock, step: { _ in client.step() }, until: { client.isFinished || StopSignal.isRequested })
        let finished = client.isFinished
        let seconds = Double(clock.now() - start) / 1e9
        let lingerEnd = clock.now() + Self.closingLinger
        loop.run(clock: clock, step: { _ in client.step() }, until: { client.isClosed || StopSignal.isRequested || clock.now() > lingerEnd })
        let failures = Self.report(client, command: "send")
        let megabytes = Double(client.bytesSent) / 1e6
        let rate = megabytes / max(seconds, 1e-9)
        let stopped = finished ? "" : "; stopped by a signal"
        printError("flextcp send: \(oneDecimal(megabytes)) MB in \(oneDecimal(seconds)) s (\(oneDecimal(rate)) MB/s)\(stopped)")
        StackOptions.reportPort(of: loop, command: "send")
        if failures > 0 { throw ExitCode.failure }
    }
}

/// What to send, shared by `send` and `service-send`: where, how much on how many connections,
/// which stream, whether to check the echo.
struct TransferOptions: ParsableArguments {
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

    /// `--to` as IP:PORT, or a validation error naming it.
    func destination() throws -> (IPv4Address, UInt16) {
        let parts = to.split(separator: ":")
        guard parts.count == 2, let address = IPv4Address(String(parts[0])), let port = UInt16(parts[1]), port > 0 else {
            throw ValidationError("--to \"\(to)\" is not IP:PORT")
        }
        return (address, port)
    }

    /// The client sending these streams on `context`.
    func makeClient(context: Context, address: IPv4Address, port: UInt16) -> SendClient {
        SendClient(context: context, to: address, port: port, bytesPerConnection: bytes, connections: connections, seed: seed,
                   verifiesEcho: echo)
    }
}

extension SendCommand {
    /// Prints each connection's report line (stdout) or failure (stderr, as `command`); returns the failures.
    static func report(_ client: SendClient, command: String) -> Int {
        var failures = 0
        for (index, outcome) in client.outcomes.enumerated() {
            switch outcome {
            case .success(let report): print(report.line)
            case .failure(let failure):
                failures += 1
                printError("flextcp \(command): connection \(index) failed: \(failure)")
            case nil:
                failures += 1
                printError("flextcp \(command): connection \(index) did not finish")
            }
        }
        return failures
    }
}

/// `value` rounded to one decimal, as text ("12.3").
private func oneDecimal(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}
