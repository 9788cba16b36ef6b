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
    public let logLevel: Logger.Level
    let configuration: StackConfiguration
    let layout: ServiceLayout
    /// Connections an application may hold (at most its ring pairs, so its buffer memory, allow).
    public var connectionsPerApplication: Int { layout.ringPairsPerApplication }
    public var applications: Int { layout.applicationCount }
    /// The service's address and prefix as given.
    public let address: String
}

extension ServiceSettings {
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
        settings.logLevel = "info"
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
        guard let level = Logger.Level(rawValue: settings.logLevel!) else {
            throw ServiceSettingError(setting: "logLevel", problem: "\"\(settings.logLevel!)\" is not a level",
                                      fix: "give trace, debug, info, notice, warning, error or critical")
        }
        let path = settings.service ?? FlexTCPStack.defaultServicePath
        guard path.utf8.count < 108 else {
            throw ServiceSettingError(setting: "service", problem: "the path is longer than a UNIX socket path may be (107 bytes)", fix: "give a shorter path")
        }
        return ServicePlan(network: network, servicePath: path, pollsWhenIdle: pollsWhenIdle, logLevel: level,
                           configuration: configuration, layout: layout, address: ip)
    }

    private static func bufferSize(_ size: Int, setting: String) throws(ServiceSettingError) -> UInt32 {
        guard (4096...(16 << 20)).contains(size) else {
            throw ServiceSettingError(setting: setting, problem: "\(size) bytes is out of range", fix: "give 4096...16777216 bytes")
        }
        return UInt32(size)
    }
}
