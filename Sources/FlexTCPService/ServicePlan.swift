import CFlexShim
import FlexTCP
import FlexTCPCore
import FlexWire
import Logging

/// flextcpd's validated settings: where it runs, its stack's configuration, the applications'
/// memory layout and limits, where applications attach, and how it idles and logs.
///
/// Contract: made only by `ServiceSettings.plan()`, so every value is usable as it is.
public struct ServicePlan: Sendable {
    /// Where the stack's frames go.
    public enum Network: Sendable, Equatable {
        /// An interface through AF_PACKET.
        case interface(String)
        /// Tests: an in-memory wire to an echo server (port 7) at this address, in this process.
        case memoryPeer(IPv4Address)
    }

    public let network: Network
    public let servicePath: String
    public let pollsWhenIdle: Bool
    /// How long the service polls after its last busy round before it sleeps (sleeping mode).
    public let idleSpinNanoseconds: UInt64
    public let logLevel: Logger.Level
    /// How long a connection to the attach socket may take to send its hello.
    public let helloTimeoutNanoseconds: UInt64
    /// Where the metrics are served (nil: nowhere).
    public let metricsAddress: MetricsAddress?
    /// The CPU the service's thread is pinned to (nil: not pinned).
    public let cpu: Int?
    let configuration: StackConfiguration
    let layout: ServiceLayout
    /// Connections an application may hold (at most its ring pairs, so its buffer memory, allow).
    public var connectionsPerApplication: Int { layout.ringPairsPerApplication }
    public var applications: Int { layout.applicationCount }
    /// The service's address and prefix as given.
    public let address: String
}

extension ServiceSettings {
    /// What the default metrics socket's path adds to the service path.
    public static let metricsSuffix = ".metrics"

    /// The defaults of the settings that have one.
    public static let defaults: ServiceSettings = {
        var settings = ServiceSettings()
        settings.applications = 16
        settings.contextsPerApplication = 4
        settings.connectionsPerApplication = 64
        settings.bufferMemoryPerApplication = 16
        settings.receiveBufferSize = 64 * 1024
        settings.sendBufferSize = 64 * 1024
        settings.idle = "sleep"
        settings.idleSpinMicroseconds = 50
        settings.logLevel = "info"
        settings.helloTimeoutMilliseconds = 5000
        settings.fastPathThreads = 1
        settings.congestionControl = "dctcp"
        settings.rateMbps = 10_000
        settings.initialRateMbps = 10
        settings.ecnWeight = 1.0 / 16
        return settings
    }()

    /// Validates the settings (missing ones take `defaults`); throws the first bad one, named, with its fix.
    public func plan() throws(ServiceSettingError) -> ServicePlan {
        let settings = Self.defaults.overriding(with: self)
        let network: ServicePlan.Network
        switch (settings.interface, settings.memoryPeer) {
        case (let name?, nil): network = .interface(name)
        case (nil, let peer?):
            guard let address = IPv4Address(peer) else {
                throw ServiceSettingError(setting: "memoryPeer", problem: "\"\(peer)\" is not an IPv4 address", fix: "give A.B.C.D inside --ip's subnet")
            }
            network = .memoryPeer(address)
        case (nil, nil):
            throw ServiceSettingError(setting: "interface", problem: "no network given", fix: "give --interface NAME (or --memory-peer A.B.C.D for tests)")
        case (_?, _?):
            throw ServiceSettingError(setting: "memoryPeer", problem: "given together with interface", fix: "give only one of --interface and --memory-peer")
        }
        guard let ip = settings.ip else {
            throw ServiceSettingError(setting: "ip", problem: "no address given", fix: "give --ip A.B.C.D/P (the service's address and prefix)")
        }
        var configuration: StackConfiguration
        do {
            configuration = StackConfiguration(interface: try InterfaceAddress(ip))
        } catch {
            throw ServiceSettingError(setting: "ip", problem: "\"\(ip)\": \(error)", fix: "give A.B.C.D/P, a unicast host address and its prefix")
        }
        if let gateway = settings.gateway {
            guard let address = IPv4Address(gateway) else {
                throw ServiceSettingError(setting: "gateway", problem: "\"\(gateway)\" is not an IPv4 address", fix: "give A.B.C.D inside the subnet")
            }
            configuration.network.gateway = address
        }
        do {
            try configuration.network.validate()
        } catch {
            throw ServiceSettingError(setting: "gateway", problem: "\(error)", fix: "give a gateway inside --ip's subnet, or none")
        }
        if case .memoryPeer(let peer) = network, peer == configuration.network.interface.address {
            throw ServiceSettingError(setting: "memoryPeer", problem: "is the service's own address", fix: "give another address of the subnet")
        }
        let receive = try Self.bufferSize(settings.receiveBufferSize!, setting: "receiveBufferSize")
        let send = try Self.bufferSize(settings.sendBufferSize!, setting: "sendBufferSize")
        let connections = settings.connectionsPerApplication!
        guard (1...65_536).contains(connections) else {
            throw ServiceSettingError(setting: "connectionsPerApplication", problem: "\(connections) is out of range", fix: "give 1...65536")
        }
        let memory = settings.bufferMemoryPerApplication!
        guard (1...4096).contains(memory) else {
            throw ServiceSettingError(setting: "bufferMemoryPerApplication", problem: "\(memory) MiB is out of range", fix: "give 1...4096 (MiB)")
        }
        let pairs = min(connections, (memory << 20) / Int(receive + send))
        guard pairs > 0 else {
            throw ServiceSettingError(setting: "bufferMemoryPerApplication", problem: "\(memory) MiB holds no connection's buffers",
                                      fix: "give at least \((Int(receive + send) + (1 << 20) - 1) >> 20) MiB, or smaller buffer sizes")
        }
        let layout: ServiceLayout
        do {
            layout = try ServiceLayout(applicationCount: settings.applications!, contextsPerApplication: settings.contextsPerApplication!,
                                       ringPairsPerApplication: pairs, receiveRingSize: receive, transmitRingSize: send)
        } catch {
            let setting = error.description.hasPrefix("contexts") ? "contextsPerApplication" : "applications"
            throw ServiceSettingError(setting: setting, problem: error.description, fix: "lower it (or the other per-application limits)")
        }
        guard layout.applicationCount * pairs <= 65_536 else {
            throw ServiceSettingError(setting: "applications", problem: "applications × connections per application exceeds 65536 flows",
                                      fix: "lower --applications or --connections-per-application")
        }
        configuration.flowCapacity = layout.applicationCount * pairs
        configuration.receiveRingSize = receive
        configuration.transmitRingSize = send
        configuration.slowPath.ringPartition = layout.ringPartition
        let pollsWhenIdle: Bool
        switch settings.idle! {
        case "sleep": pollsWhenIdle = false
        case "poll": pollsWhenIdle = true
        case let other: throw ServiceSettingError(setting: "idle", problem: "\"\(other)\" is not a mode", fix: "give sleep or poll")
        }
        let spin = settings.idleSpinMicroseconds!
        guard (0...1_000_000).contains(spin) else {
            throw ServiceSettingError(setting: "idleSpinMicroseconds", problem: "\(spin) µs is out of range", fix: "give 0...1000000 (µs)")
        }
        guard let level = Logger.Level(rawValue: settings.logLevel!) else {
            throw ServiceSettingError(setting: "logLevel", problem: "\"\(settings.logLevel!)\" is not a level",
                                      fix: "give trace, debug, info, notice, warning, error or critical")
        }
        let helloTimeout = settings.helloTimeoutMilliseconds!
        guard (10...60_000).contains(helloTimeout) else {
            throw ServiceSettingError(setting: "helloTimeoutMilliseconds", problem: "\(helloTimeout) ms is out of range", fix: "give 10...60000 (ms)")
        }
        let path = settings.service ?? FlexTCPStack.defaultServicePath
        guard path.utf8.count < 108 else {
            throw ServiceSettingError(setting: "service", problem: "the path is longer than a UNIX socket path may be (107 bytes)", fix: "give a shorter path")
        }
        guard settings.fastPathThreads == 1 else {
            throw ServiceSettingError(setting: "fastPathThreads", problem: "\(settings.fastPathThreads!) threads asked for",
                                      fix: "give 1: flextcpd runs its fast and slow path on one thread (pin it with --cpu)")
        }
        if let cpu = settings.cpu, !(0..<Int(flexshim_available_cpus())).contains(cpu) {
            throw ServiceSettingError(setting: "cpu", problem: "CPU \(cpu) is not one this process may run on",
                                      fix: "give 0...\(flexshim_available_cpus() - 1), or leave it out")
        }
        configuration.slowPath.congestionControl = try Self.congestionControl(settings)
        let metricsAddress: MetricsAddress?
        switch settings.metrics {
        case "off": metricsAddress = nil
        case let text?:
            guard let address = MetricsAddress(text) else {
                throw ServiceSettingError(setting: "metrics", problem: "\"\(text)\" is not a metrics address",
                                          fix: "give unix:PATH, 127.0.0.1:PORT (loopback only) or off")
            }
            metricsAddress = address
        case nil:
            guard let address = MetricsAddress("unix:" + path + Self.metricsSuffix) else {
                throw ServiceSettingError(setting: "metrics", problem: "the default path \(path)\(Self.metricsSuffix) is too long",
                                          fix: "give a shorter --service path, or --metrics unix:PATH, 127.0.0.1:PORT or off")
            }
            metricsAddress = address
        }
        return ServicePlan(network: network, servicePath: path, pollsWhenIdle: pollsWhenIdle,
                           idleSpinNanoseconds: UInt64(spin) * 1000, logLevel: level,
                           helloTimeoutNanoseconds: UInt64(helloTimeout) * 1_000_000, metricsAddress: metricsAddress,
                           cpu: settings.cpu,
                           configuration: configuration, layout: layout, address: ip)
    }

    /// The congestion control the settings name, with their parameters (nil: none).
    private static func congestionControl(_ settings: ServiceSettings) throws(ServiceSettingError) -> (any CongestionControlAlgorithm)? {
        let rate = settings.rateMbps!
        guard rate > 0, rate.isFinite else {
            throw ServiceSettingError(setting: "rateMbps", problem: "\(rate) Mbit/s is not a rate", fix: "give a positive number of Mbit/s")
        }
        let largestMbps = RateBounds.largestBytesPerSecond / RateUnit.bytesPerSecond(megabitsPerSecond: 1)
        guard rate <= largestMbps else {
            throw ServiceSettingError(setting: "rateMbps", problem: "\(rate) Mbit/s is beyond any link",
                                      fix: "give at most \(Int(largestMbps)) Mbit/s")
        }
        switch settings.congestionControl! {
        case "none": return nil
        case "constant":
            do {
                return try ConstantRatePolicy(bytesPerSecond: UInt64(RateUnit.bytesPerSecond(megabitsPerSecond: rate)))
            } catch {
                throw ServiceSettingError(setting: "rateMbps", problem: "\(rate) Mbit/s: \(error)", fix: "give a rate of at least 1 Mbit/s")
            }
        case "dctcp":
            let initial = settings.initialRateMbps!
            guard initial >= 10, initial <= rate else {
                throw ServiceSettingError(setting: "initialRateMbps", problem: "\(initial) Mbit/s lies outside 10...\(rate) (the minimum and rateMbps)",
                                          fix: "give a rate between 10 and --rate-mbps")
            }
            let weight = settings.ecnWeight!
            guard weight > 0, weight <= 1 else {
                throw ServiceSettingError(setting: "ecnWeight", problem: "\(weight) is not a weight", fix: "give a number in (0, 1], e.g. 0.0625")
            }
            do {
                return try DCTCPConfiguration(maximumRateBytesPerSecond: RateUnit.bytesPerSecond(megabitsPerSecond: rate),
                                              initialRateBytesPerSecond: RateUnit.bytesPerSecond(megabitsPerSecond: initial), ecnWeight: weight)
            } catch {
                throw ServiceSettingError(setting: "rateMbps", problem: "\(rate) Mbit/s: \(error)", fix: "give at least 10 Mbit/s (DCTCP's minimum rate)")
            }
        case let other:
            throw ServiceSettingError(setting: "congestionControl", problem: "\"\(other)\" is not an algorithm", fix: "give dctcp, constant or none")
        }
    }

    private static func bufferSize(_ size: Int, setting: String) throws(ServiceSettingError) -> UInt32 {
        guard (4096...(16 << 20)).contains(size) else {
            throw ServiceSettingError(setting: setting, problem: "\(size) bytes is out of range", fix: "give 4096...16777216 bytes")
        }
        return UInt32(size)
    }
}
