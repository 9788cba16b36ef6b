import ArgumentParser
import FlexTCP

/// Which transport carries NVMe/TCP.
enum TransportKind: String, ExpressibleByArgument, CaseIterable {
    case linux, flextcp
}

/// The transport options every subcommand shares.
struct TransportOptions: ParsableArguments {
    @Option(help: "linux (kernel sockets) or flextcp (the FlexTCP stack on --interface).")
    var transport: TransportKind = .linux

    @Option(help: "With --transport flextcp: the interface to open with AF_PACKET (no kernel IPv4 address on it).")
    var interface: String?

    @Option(help: "With --transport flextcp: this stack's address and prefix length, A.B.C.D/P.")
    var ip: String?

    @Option(help: "With --transport flextcp: bytes of each connection's receive and send buffer.")
    var ringSize = 1 << 20

    /// Runs `body` with a FlexTCP stack on the interface (only for `--transport flextcp`).
    func withStack<Result>(_ body: (FlexTCPStack) throws -> Result) throws -> Result {
        guard let interface, let ip else { throw ValidationError("--transport flextcp needs --interface NAME and --ip A.B.C.D/P") }
        return try FlexTCPStack.withStack(on: .interface(named: interface), configuration: stackConfiguration(ip), body)
    }

    /// A stack at `address` with `--ring-size` buffers, application-driven: the thread serving its
    /// context runs it (`FlexTCPTargetServer`, `FlexTCPHostTransport` given the stack).
    func stackConfiguration(_ address: String) -> FlexTCPStack.Configuration {
        var configuration = FlexTCPStack.Configuration(address: address)
        configuration.threading = .applicationDriven
        configuration.receiveBufferSize = ringSize
        configuration.sendBufferSize = ringSize
        return configuration
    }
}
