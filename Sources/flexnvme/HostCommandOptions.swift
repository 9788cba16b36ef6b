import ArgumentParser
import FlexNVMe
import FlexTCP

/// The options of every host subcommand: where the target is, which subsystem, queues and digests.
struct HostCommandOptions: ParsableArguments {
    @Option(help: "The target's IPv4 address.")
    var address: String?

    @Option(help: "The target's TCP port.")
    var port: UInt16 = 4420

    @Option(help: "The subsystem's NQN (nqn.2014-08.org.nvmexpress.discovery: the discovery controller).")
    var nqn: String

    @Option(help: "I/O queues (one TCP connection each).")
    var queues = 1

    @Option(help: "Entries per I/O queue (up to one less outstanding).")
    var queueDepth = 32

    @Flag(help: "Ask for header digests.")
    var headerDigest = false

    @Flag(help: "Ask for data digests.")
    var dataDigest = false

    @OptionGroup var transport: TransportOptions

    func validate() throws {
        guard (1...64).contains(queues) else { throw ValidationError("--queues must lie in 1...64") }
        guard (2...1024).contains(queueDepth) else { throw ValidationError("--queue-depth must lie in 2...1024") }
    }

    /// Connects a host, runs `body`, disconnects. With `selfTargetMiB`, the target runs in this process
    /// on a RAM namespace of that size: on loopback (kernel sockets) or across an in-memory wire (flextcp),
    /// served by the host's own thread with `oneThread` (flextcp only).
    func withHost<Result>(selfTargetMiB: Int? = nil, oneThread: Bool = false, _ body: (NVMeHost) throws -> Result) throws -> Result {
        let options = hostOptions
        if let selfTargetMiB {
            let target = NVMeTarget(configuration: TargetConfiguration(subsystemNQN: nqn, port: transport.socketOptions != nil ? 0 : port),
                                    namespace: MemoryNamespace(byteCount: selfTargetMiB << 20))
            return try SelfTarget.withHost(target: target, options: options, transport: transport, oneThread: oneThread, body)
        }
        guard let address else { throw ValidationError("--address is required (or --self-target)") }
        if let socketOptions = transport.socketOptions {
            let host = try NVMeHost(transport: LinuxHostTransport(address: address, port: port, options: socketOptions), options: options)
            defer { host.disconnect() }
            return try body(host)
        } else {
            guard let target = IPv4Address(address) else { throw ValidationError("--address \(address) is not an IPv4 address") }
            return try transport.withStack { stack in
                let host = try NVMeHost(transport: FlexTCPHostTransport(context: try stack.makeContext(), address: target, port: port,
                                                                             driving: stack),
                                        options: options)
                defer { host.disconnect() }
                return try body(host)
            }
        }
    }

    private var hostOptions: HostOptions {
        var options = HostOptions(subsystemNQN: nqn)
        options.ioQueues = queues
        options.queueDepth = queueDepth
        options.headerDigest = headerDigest
        options.dataDigest = dataDigest
        return options
    }
}
