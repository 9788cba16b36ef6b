import ArgumentParser
import CFlexShim
import FlexTCPService
import Logging
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Set once SIGINT or SIGTERM arrives; the handler also wakes the service's idle sleep.
private let stopRequested = Atomic<Bool>(false)
private let wakeDescriptor = Atomic<Int32>(-1)

/// `flextcpd`: the FlexTCP stack as a service that applications attach to (`FlexTCPStack.attach`).
@main
struct FlextcpdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flextcpd",
        abstract: "Run the FlexTCP stack as a service applications attach to over a UNIX socket.",
        discussion: """
            Settings come from --config (a JSON object whose keys are the flags' names in camel case, e.g. \
            {"interface": "eth1", "ip": "198.18.0.1/24", "connectionsPerApplication": 128}) and from flags, which win. \
            On start it prints one ready line saying where applications attach; SIGTERM or SIGINT shut it down \
            (applications told, connections reset, memory freed).
            """)

    @Option(help: "A JSON config file (flags override it).") var config: String?
    @Option(help: "The interface to run on through AF_PACKET (it must carry no kernel IPv4 address).") var interface: String?
    @Option(help: "The service's address and prefix, A.B.C.D/P.") var ip: String?
    @Option(help: "The default gateway, inside the subnet.") var gateway: String?
    @Option(help: "Tests: no interface; an in-memory wire to an echo server (port 7) at this address.") var memoryPeer: String?
    @Option(help: "The UNIX socket applications attach to (default: $FLEXTCP_SERVICE, $XDG_RUNTIME_DIR/flextcpd.sock or /run/flextcp/flextcpd.sock).")
    var service: String?
    @Option(help: "Applications attached at once (default 16).") var applications: Int?
    @Option(help: "Contexts each application may use, its async API's included (default 4).") var contextsPerApplication: Int?
    @Option(help: "Connections each application may hold (default 64).") var connectionsPerApplication: Int?
    @Option(help: "MiB of connection buffers each application may hold (default 16).") var bufferMemoryPerApplication: Int?
    @Option(help: "Bytes of each connection's receive buffer (default 65536).") var receiveBufferSize: Int?
    @Option(help: "Bytes of each connection's send buffer (default 65536).") var sendBufferSize: Int?
    @Option(help: "sleep (default) or poll when idle.") var idle: String?
    @Option(help: "Sleeping: µs to keep polling after the last busy round before sleeping (default 50; 0: at once).")
    var idleSpinMicroseconds: Int?
    @Option(help: "trace, debug, info (default), notice, warning, error or critical.") var logLevel: String?
    @Option(help: "Milliseconds a connection to the attach socket may take to send its hello (default 5000).")
    var helloTimeoutMilliseconds: Int?
    @Option(help: "Where to serve Prometheus metrics: unix:PATH, 127.0.0.1:PORT or off (default: unix:SERVICE.metrics, which `flextcp stats` reads).")
    var metrics: String?
    @Option(help: "Fast-path threads: 1 (flextcpd runs its fast and slow path on one thread).") var fastPathThreads: Int?
    @Option(help: "The CPU to pin the service's thread to.") var cpu: Int?
    @Option(help: "dctcp (default), constant or none.") var congestionControl: String?
    @Option(help: "DCTCP's maximum rate (default 10000) or the constant rate, Mbit/s.") var rateMbps: Double?
    @Option(help: "DCTCP's initial rate, Mbit/s (default 10).") var initialRateMbps: Double?
    @Option(help: "DCTCP's ECN weight g (default 0.0625).") var ecnWeight: Double?

    /// The settings the flags give.
    private var flagSettings: ServiceSettings {
        var settings = ServiceSettings()
        settings.interface = interface
        settings.ip = ip
        settings.gateway = gateway
        settings.memoryPeer = memoryPeer
        settings.service = service
        settings.applications = applications
        settings.contextsPerApplication = contextsPerApplication
        settings.connectionsPerApplication = connectionsPerApplication
        settings.bufferMemoryPerApplication = bufferMemoryPerApplication
        settings.receiveBufferSize = receiveBufferSize
        settings.sendBufferSize = sendBufferSize
        settings.idle = idle
        settings.idleSpinMicroseconds = idleSpinMicroseconds
        settings.logLevel = logLevel
        settings.helloTimeoutMilliseconds = helloTimeoutMilliseconds
        settings.metrics = metrics
        settings.fastPathThreads = fastPathThreads
        settings.cpu = cpu
        settings.congestionControl = congestionControl
        settings.rateMbps = rateMbps
        settings.initialRateMbps = initialRateMbps
        settings.ecnWeight = ecnWeight
        return settings
    }

    func run() throws {
        let plan: ServicePlan
        do {
            let file = try config.map { path throws(ServiceSettingError) in try ServiceSettings.load(configFile: path) } ?? ServiceSettings()
            plan = try file.overriding(with: flagSettings).plan()
        } catch {
            printError("flextcpd: \(error)")
            throw ExitCode(2)
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = plan.logLevel
            return handler
        }
        let logger = Logger(label: "flextcpd")
        let daemon: ServiceDaemon
        do {
            daemon = try ServiceDaemon(plan: plan, logger: logger)
        } catch {
            printError("flextcpd: \(error)")
            throw ExitCode.failure
        }
        wakeDescriptor.store(daemon.wakeDescriptor, ordering: .sequentiallyConsistent)
        // A parent may have started this process with the signals blocked (some process launchers do).
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber) { _ in
                stopRequested.store(true, ordering: .sequentiallyConsistent)
                _ = flexshim_eventfd_signal(wakeDescriptor.load(ordering: .sequentiallyConsistent))
            }
        }
        signal(SIGPIPE, SIG_IGN)
        flexshim_line_buffer_stdout()
        print(daemon.readyLine)
        logger.notice("ready", metadata: ["service": "\(plan.servicePath)", "metrics": "\(plan.metricsAddress.map { "\($0)" } ?? "off")"])
        daemon.run { stopRequested.load(ordering: .relaxed) }
    }
}

/// Writes `text` and a newline to standard error.
private func printError(_ text: String) {
    let line = text + "\n"
    _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
}
