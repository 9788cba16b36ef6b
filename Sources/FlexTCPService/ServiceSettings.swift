import FlexTCPCore
import FlexWire
import Foundation

/// flextcpd's settings as given: every field optional, from a JSON config file (keys as named
/// here) and from flags (which win, `overriding`). `plan()` validates them into a `ServicePlan`.
///
/// Contract: a plain value; nothing is checked until `plan()`, which throws a
/// `ServiceSettingError` naming the first bad setting and how to fix it.
public struct ServiceSettings: Codable, Sendable, Equatable {
    /// The interface to run on through AF_PACKET (it must carry no kernel IPv4 address).
    public var interface: String?
    /// The service's address and prefix, "A.B.C.D/P".
    public var ip: String?
    /// The default gateway, inside the subnet.
    public var gateway: String?
    /// Tests: instead of an interface, an in-memory wire to an echo server (port 7) at this address.
    public var memoryPeer: String?
    /// Where applications attach (a UNIX socket path).
    public var service: String?
    /// Applications attached at once.
    public var applications: Int?
    /// Contexts (threads with their own queues) each application may use, the async API's included.
    public var contextsPerApplication: Int?
    /// Connections each application may hold at once.
    public var connectionsPerApplication: Int?
    /// MiB of connection buffers each application may hold (receive + send rings of its connections).
    public var bufferMemoryPerApplication: Int?
    /// Bytes of each connection's receive buffer.
    public var receiveBufferSize: Int?
    /// Bytes of each connection's send buffer.
    public var sendBufferSize: Int?
    /// "sleep" (the default: sleep when idle, woken by frames and applications) or "poll" (never sleep).
    public var idle: String?
    /// "sleep" only: microseconds the service keeps polling after its last busy round before it
    /// sleeps (default 50; 0 sleeps at once), so an answer that follows within them costs no wake-up.
    public var idleSpinMicroseconds: Int?
    /// trace, debug, info (the default), notice, warning, error or critical.
    public var logLevel: String?
    /// Milliseconds a connection to the attach socket may take to send its hello before it is closed.
    public var helloTimeoutMilliseconds: Int?
    /// Threads of the fast path: flextcpd runs its fast and slow path on one thread, so only 1.
    public var fastPathThreads: Int?
    /// The CPU the service's thread is pinned to (none: the scheduler's choice).
    public var cpu: Int?
    /// "dctcp" (the default), "constant" (every connection paced at `rateMbps`) or "none" (unpaced).
    public var congestionControl: String?
    /// DCTCP: the maximum rate (the line rate, default 10000); constant: the rate. Mbit/s.
    public var rateMbps: Double?
    /// DCTCP: the rate a connection starts at (default 10), Mbit/s.
    public var initialRateMbps: Double?
    /// DCTCP: g, the weight of one interval's marked fraction in the ECN fraction (default 0.0625).
    public var ecnWeight: Double?
    /// Where the Prometheus metrics are served: "unix:PATH", "127.0.0.1:PORT" (loopback only) or
    /// "off"; by default "unix:" + the service path + ".metrics" (what `flextcp stats` reads).
    public var metrics: String?

    public init() {}

    /// Reads a JSON config file; unknown keys are an error (a misspelt setting must not pass unseen).
    public static func load(configFile path: String) throws(ServiceSettingError) -> ServiceSettings {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ServiceSettingError(setting: "config", problem: "cannot read \(path)", fix: "give a readable JSON file")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ServiceSettingError(setting: "config", problem: "\(path) is not a JSON object", fix: "write the settings as {\"key\": value, …}")
        }
        let known = Set(CodingKeys.allKeyNames)
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw ServiceSettingError(setting: unknown, problem: "unknown setting in \(path)",
                                      fix: "use one of: \(known.sorted().joined(separator: ", "))")
        }
        do {
            return try JSONDecoder().decode(ServiceSettings.self, from: data)
        } catch DecodingError.typeMismatch(_, let context) {
            let key = context.codingPath.first?.stringValue ?? "?"
            throw ServiceSettingError(setting: key, problem: "has the wrong type in \(path)", fix: "see flextcpd --help for its type")
        } catch {
            throw ServiceSettingError(setting: "config", problem: "\(path): \(error)", fix: "fix the JSON")
        }
    }

    /// These settings with every setting `flags` gives replacing this one's.
    public func overriding(with flags: ServiceSettings) -> ServiceSettings {
        var merged = self
        let texts: [WritableKeyPath<ServiceSettings, String?>] = [
            \.interface, \.ip, \.gateway, \.memoryPeer, \.service, \.idle, \.logLevel, \.metrics, \.congestionControl,
        ]
        let numbers: [WritableKeyPath<ServiceSettings, Int?>] = [
            \.applications, \.contextsPerApplication, \.connectionsPerApplication, \.bufferMemoryPerApplication, \.receiveBufferSize,
            \.sendBufferSize, \.helloTimeoutMilliseconds, \.fastPathThreads, \.cpu, \.idleSpinMicroseconds,
        ]
        let reals: [WritableKeyPath<ServiceSettings, Double?>] = [\.rateMbps, \.initialRateMbps, \.ecnWeight]
        for key in texts { merged[keyPath: key] = flags[keyPath: key] ?? self[keyPath: key] }
        for key in numbers { merged[keyPath: key] = flags[keyPath: key] ?? self[keyPath: key] }
        for key in reals { merged[keyPath: key] = flags[keyPath: key] ?? self[keyPath: key] }
        return merged
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case interface, ip, gateway, memoryPeer, service, applications, contextsPerApplication, connectionsPerApplication
        case bufferMemoryPerApplication, receiveBufferSize, sendBufferSize, idle, logLevel, helloTimeoutMilliseconds
        case metrics, fastPathThreads, cpu, congestionControl, rateMbps, initialRateMbps, ecnWeight, idleSpinMicroseconds

        static var allKeyNames: [String] { allCases.map(\.rawValue) }
    }
}

/// A setting flextcpd cannot run with: which one, what is wrong, and how to fix it.
public struct ServiceSettingError: Error, Equatable, CustomStringConvertible {
    /// The setting's config-file key (its flag is the same name in kebab case).
    public let setting: String
    public let problem: String
    public let fix: String

    public init(setting: String, problem: String, fix: String) {
        self.setting = setting
        self.problem = problem
        self.fix = fix
    }

    public var description: String { "setting \(setting) (\(Self.flag(setting))): \(problem); \(fix)" }

    /// The flag of a config key: memoryPeer → --memory-peer.
    static func flag(_ key: String) -> String {
        "--" + key.map { $0.isUppercase ? "-\($0.lowercased())" : String($0) }.joined()
    }
}
