import ArgumentParser
import FlexNVMe
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `flexnvme target`: serves one NVM subsystem with namespace 1 (and the discovery subsystem) until stopped.
struct TargetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "target",
        abstract: "Serve an NVM subsystem with namespace 1 over NVMe/TCP until SIGINT/SIGTERM.",
        discussion: "Digests are used as each host asks. With --transport linux the target listens on every address.")

    @Option(help: "TCP port (4420 is NVMe/TCP's).")
    var port: UInt16 = 4420

    @Option(help: "The subsystem's NQN.")
    var nqn: String

    @OptionGroup var transport: TransportOptions

    @Option(help: "A RAM namespace of this many MiB.")
    var ram: Int?

    @Option(help: "A namespace on this file (created if missing; writes durable after Flush).")
    var file: String?

    @Option(help: "A persistent-memory namespace: this file mapped into memory, each write durable before its completion.")
    var pmem: String?

    @Option(help: "MiB a new --file or --pmem file is sized to.")
    var sizeMib = 64

    @Option(help: "With --transport linux or uring: threads, each a group of connections on its own epoll or io_uring.")
    var threads = 1

    func validate() throws {
        guard [ram != nil, file != nil, pmem != nil].filter({ $0 }).count <= 1 else {
            throw ValidationError("give one of --ram, --file, --pmem")
        }
        guard !nqn.isEmpty, nqn.utf8.count < 224 else { throw ValidationError("--nqn must be 1...223 bytes") }
    }

    func run() throws {
        let namespace: any NamespaceStorage
        if let file {
            namespace = try FileNamespace(path: file, minimumBytes: sizeMib << 20)
        } else if let pmem {
            namespace = try PersistentMemoryNamespace(path: pmem, minimumBytes: sizeMib << 20)
        } else {
            namespace = MemoryNamespace(byteCount: (ram ?? 64) << 20)
        }
        let target = NVMeTarget(configuration: TargetConfiguration(subsystemNQN: nqn, port: port), namespace: namespace)
        let blocks = namespace.blockCount
        let report = "serving \(nqn) namespace 1: \(blocks) blocks of \(namespace.blockSize) bytes; durable: \(namespace.persistenceDomain)"
        if let socketOptions = transport.socketOptions {
            let server = try LinuxTargetServer(target: target, threads: threads, options: socketOptions)
            print("flexnvme target: kernel sockets (\(socketOptions)), port \(server.port); \(report)")
            watchStop { server.stop() }
            server.run()
        } else {
            try transport.withStack { stack in
                let server = FlexTCPTargetServer(target: target, context: try stack.makeContext(), localAddress: String(describing: stack.address),
                                                 driving: stack)
                print("flexnvme target: FlexTCP on \(transport.interface!) \(stack.address), port \(port); \(report)")
                watchStop { server.stop() }
                try server.run(receiveBufferSize: transport.ringSize)
            }
        }
        let counters = target.counters
        let terminations = ProtocolViolation.allCases.filter { counters[$0] > 0 }.map { "\($0): \(counters[$0])" }
        print("flexnvme target: stopped; writes completed \(target.writesCompleted), data digest errors \(counters.dataDigestErrors), "
              + "terminations \(terminations.isEmpty ? "none" : terminations.joined(separator: ", "))")
    }

    /// Calls `stop` (on a dispatch queue) when SIGINT or SIGTERM arrives; the sources live as long as the process.
    private func watchStop(_ stop: @escaping @Sendable () -> Void) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: stop)
            source.resume()
            Self.signalSources.append(source)
        }
    }

    /// Keeps the signal sources alive.
    nonisolated(unsafe) private static var signalSources: [any DispatchSourceSignal] = []
}
