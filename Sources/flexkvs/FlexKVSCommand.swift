import ArgumentParser
import CFlexShim
import FlexKVS
import FlexTCP
import FlexTCPTools
#if canImport(Glibc)
import Glibc
#endif

/// `flexkvs`: the memcached-compatible key-value store, on Linux sockets or on FlexTCP.
@main
struct FlexKVSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flexkvs",
        abstract: "A memcached-compatible key-value store (text and binary protocols) on Linux sockets or FlexTCP.")

    enum Transport: String, ExpressibleByArgument, CaseIterable {
        case linux, flextcp
    }

    @Option(help: "The TCP port to listen on.")
    var port: UInt16 = 11211

    @Option(help: "linux: kernel sockets on all addresses; flextcp: a FlexTCP stack on --interface with --ip.")
    var transport: Transport = .linux

    @Option(help: "The interface FlexTCP runs on (AF_PACKET; needs CAP_NET_RAW; the interface should carry no kernel IPv4 address).")
    var interface: String?

    @Option(help: "FlexTCP's address and prefix, A.B.C.D/P.")
    var ip: String?

    @Option(help: "Item memory in MiB (memcached -m).")
    var memory: Int = 64

    @Option(help: "Worker threads (Linux: one event loop each; FlexTCP: one context each, connections handed round robin); the store gets as many partitions.")
    var threads: Int = 1

    @Option(help: "Also serve memcached's UDP protocol on this port (Linux transport).")
    var udpPort: UInt16?

    @Option(help: "The largest item in bytes (memcached -I): value + key + 59 must fit.")
    var maxItemSize: Int = 1 << 20

    func validate() throws {
        guard memory >= 1 else { throw ValidationError("--memory must be at least 1 (MiB)") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must lie in 1...256") }
        guard (1024...(1 << 30)).contains(maxItemSize) else { throw ValidationError("--max-item-size must lie in 1024...1073741824") }
        if transport == .flextcp {
            guard interface != nil, ip != nil else { throw ValidationError("--transport flextcp needs --interface NAME and --ip A.B.C.D/P") }
            guard udpPort == nil else { throw ValidationError("--udp-port is served on the Linux transport only for now") }
        }
    }

    func run() throws {
        let store = KeyValueStore(configuration: StoreConfiguration(memoryLimit: memory << 20, maxItemSize: maxItemSize, partitions: threads))
        var settings = ServerSettings(tcpPort: port)
        settings.threads = threads
        settings.udpPort = udpPort ?? 0
        switch transport {
        case .linux:
            let server = CacheServer(store: store, settings: settings)
            let linux = try LinuxServer(server: server, port: port, udpPort: udpPort, threads: threads)
            linux.start()
            let udp = linux.udpPort.map { ", UDP \($0)" } ?? ""
            announce("flexkvs: listening on 0.0.0.0:\(linux.port)\(udp) (linux, \(threads) thread\(threads == 1 ? "" : "s"), \(memory) MiB)")
            StopSignal.wait()
            linux.stop()
        case .flextcp:
            let address = ip!
            settings.interface = String(address.prefix { $0 != "/" })
            let server = CacheServer(store: store, settings: settings)
            StopSignal.install()
            try FlexTCPServer.run(server: server, on: .interface(named: interface!), address: address, tcpPort: port, threads: threads,
                                  ready: { announce("flexkvs: listening on \(settings.interface):\(port) (flextcp on \(interface!), \(threads) thread\(threads == 1 ? "" : "s"), \(memory) MiB)") },
                                  shouldStop: { StopSignal.isRequested })
        }
        announce("flexkvs: stopped")
    }

    /// Prints a line, reaching a pipe at once (the ready line is what scripts and tests wait for).
    private func announce(_ line: String) {
        flexshim_line_buffer_stdout()
        print(line)
    }
}
