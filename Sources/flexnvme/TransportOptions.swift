import ArgumentParser
import FlexNVMe
import FlexTCP

/// Which transport carries NVMe/TCP: kernel sockets with epoll (`linux`) or io_uring (`uring`), or FlexTCP.
enum TransportKind: String, ExpressibleByArgument, CaseIterable {
    case linux, uring, flextcp
}

/// The transport options every subcommand shares.
struct TransportOptions: ParsableArguments {
    @Option(help: "linux (kernel sockets, epoll), uring (kernel sockets, io_uring) or flextcp (the FlexTCP stack on --interface).")
    var transport: TransportKind = .linux

    @Flag(help: "With --transport linux: send runs of 4 KiB or more with MSG_ZEROCOPY.")
    var zeroCopy = false

    @Option(help: "With --transport flextcp: the interface to open with AF_PACKET (no kernel IPv4 address on it).")
    var interface: String?

    @Option(help: "With --transport flextcp: this stack's address and prefix length, A.B.C.D/P.")
    var ip: String?

    @Option(help: "With --transport flextcp: bytes of each connection's receive and send buffer.")
    var ringSize = 1 << 20

    func validate() throws {
        if zeroCopy && transport != .linux { throw ValidationError("--zero-copy needs --transport linux") }
    }

    /// How the kernel-socket transports move bytes; nil for FlexTCP.
    var socketOptions: SocketTransportOptions? {
        switch transport {
        case .linux: SocketTransportOptions(engine: .epoll, zeroCopySends: zeroCopy)
        case .uring: SocketTransportOptions(engine: .uring)
        case .flextcp: nil
        }
    }

    /// The transport in words, for reports.
    var label: String { socketOptions?.description ?? "FlexTCP" }

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
