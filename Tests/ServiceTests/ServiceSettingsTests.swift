import FlexTCPCore
import FlexTCPService
import FlexWire
import Foundation
import Testing

@Suite("flextcpd's settings")
struct ServiceSettingsTests {
    private func settings(_ build: (inout ServiceSettings) -> Void) -> ServiceSettings {
        var settings = ServiceSettings()
        settings.memoryPeer = "198.18.0.2"
        settings.ip = "198.18.0.1/24"
        build(&settings)
        return settings
    }

    private func failingSetting(_ settings: ServiceSettings) -> String? {
        do {
            _ = try settings.plan()
            return nil
        } catch {
            return error.setting
        }
    }

    @Test("Each bad setting is named, with its fix")
    func namedErrors() {
        #expect(failingSetting(settings { $0.ip = nil }) == "ip")
        #expect(failingSetting(settings { $0.memoryPeer = nil }) == "interface")
        #expect(failingSetting(settings { $0.interface = "eth9" }) == "memoryPeer")
        #expect(failingSetting(settings { $0.gateway = "10.0.0.1" }) == "gateway")
        #expect(failingSetting(settings { $0.receiveBufferSize = 100 }) == "receiveBufferSize")
        #expect(failingSetting(settings { $0.bufferMemoryPerApplication = 1; $0.receiveBufferSize = 1 << 20 }) == "bufferMemoryPerApplication")
        #expect(failingSetting(settings { $0.idle = "nap" }) == "idle")
        #expect(failingSetting(settings { $0.logLevel = "loud" }) == "logLevel")
        #expect(failingSetting(settings { $0.applications = 0 }) == "applications")
        #expect(failingSetting(settings { _ in }) == nil)
        let error = ServiceSettingError(setting: "memoryPeer", problem: "p", fix: "f")
        #expect(error.description == "setting memoryPeer (--memory-peer): p; f")
    }

    @Test("The idle spin: 50 µs by default, a flag's value in ns in the plan, out of range named")
    func idleSpin() throws {
        #expect(try settings { _ in }.plan().idleSpinNanoseconds == 50_000)
        #expect(try settings { $0.idleSpinMicroseconds = 0 }.plan().idleSpinNanoseconds == 0)
        #expect(try settings { $0.idleSpinMicroseconds = 20 }.plan().idleSpinNanoseconds == 20_000)
        #expect(failingSetting(settings { $0.idleSpinMicroseconds = -1 }) == "idleSpinMicroseconds")
        #expect(failingSetting(settings { $0.idleSpinMicroseconds = 2_000_000 }) == "idleSpinMicroseconds")
    }

    @Test("Threads, CPU, congestion control, metrics and hello deadline: each bad value is named with its fix")
    func operationalSettings() throws {
        #expect(failingSetting(settings { $0.fastPathThreads = 2 }) == "fastPathThreads")
        #expect(failingSetting(settings { $0.cpu = 4096 }) == "cpu")
        #expect(failingSetting(settings { $0.congestionControl = "cubic" }) == "congestionControl")
        #expect(failingSetting(settings { $0.rateMbps = -1 }) == "rateMbps")
        for algorithm in ["constant", "dctcp", "none"] {
            #expect(failingSetting(settings { $0.congestionControl = algorithm; $0.rateMbps = 1e300 }) == "rateMbps", "\(algorithm)")
        }
        #expect(failingSetting(settings { $0.initialRateMbps = 20_000 }) == "initialRateMbps")
        #expect(failingSetting(settings { $0.ecnWeight = 2 }) == "ecnWeight")
        #expect(failingSetting(settings { $0.metrics = "0.0.0.0:9100" }) == "metrics", "only loopback")
        #expect(failingSetting(settings { $0.metrics = "unix:" }) == "metrics")
        #expect(failingSetting(settings { $0.helloTimeoutMilliseconds = 0 }) == "helloTimeoutMilliseconds")
        #expect(failingSetting(settings { $0.service = "/tmp/" + String(repeating: "s", count: 96) }) == "metrics",
                "the default metrics path next to a long service path would not fit")
        do {
            _ = try settings { $0.congestionControl = "cubic" }.plan()
        } catch {
            #expect(error.description == "setting congestionControl (--congestion-control): \"cubic\" is not an algorithm; give dctcp, constant or none")
        }
        let plan = try settings { $0.service = "/tmp/s.sock"; $0.cpu = 0; $0.congestionControl = "constant"; $0.rateMbps = 100 }.plan()
        #expect(plan.metricsAddress == .unix(path: "/tmp/s.sock.metrics") && plan.cpu == 0)
        #expect(try settings { $0.metrics = "off" }.plan().metricsAddress == nil)
        #expect(try settings { $0.metrics = "127.0.0.1:9464" }.plan().metricsAddress == .tcp(address: IPv4Address(127, 0, 0, 1), port: 9464))
    }

    @Test("A config file's settings are read and flags override them; an unknown key is refused")
    func configFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("flextcpd-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(#"{"ip": "198.18.0.1/24", "memoryPeer": "198.18.0.2", "applications": 3, "idle": "poll"}"#.utf8).write(to: URL(fileURLWithPath: path))
        var flags = ServiceSettings()
        flags.applications = 5
        let plan = try ServiceSettings.load(configFile: path).overriding(with: flags).plan()
        #expect(plan.applications == 5)
        #expect(plan.pollsWhenIdle)
        try Data(#"{"ip": "198.18.0.1/24", "memoryPeer": "198.18.0.2", "congestionControl": "none", "ecnWeight": 0.5, "cpu": 0}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        var cpuFlag = ServiceSettings()
        cpuFlag.congestionControl = "dctcp"
        let merged = try ServiceSettings.load(configFile: path).overriding(with: cpuFlag)
        #expect(merged.congestionControl == "dctcp" && merged.ecnWeight == 0.5 && merged.cpu == 0, "flags win, the file fills in")
        try Data(#"{"ip": "198.18.0.1/24", "rateMbps": "fast"}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ServiceSettingError(setting: "rateMbps", problem: "has the wrong type in \(path)", fix: "see flextcpd --help for its type")) {
            try ServiceSettings.load(configFile: path)
        }
        try Data(#"{"ip": "198.18.0.1/24", "aplications": 3}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: ServiceSettingError.self) { try ServiceSettings.load(configFile: path) }
    }

    @Test("Per-application limits: connections are what the buffer memory holds, at most the connection limit")
    func limits() throws {
        let byMemory = try settings { $0.connectionsPerApplication = 100; $0.bufferMemoryPerApplication = 1 }.plan()
        #expect(byMemory.connectionsPerApplication == 8, "1 MiB of 64 + 64 KiB pairs")
        let byCount = try settings { $0.connectionsPerApplication = 3 }.plan()
        #expect(byCount.connectionsPerApplication == 3)
    }

    @Test("Each application's slot holds its queue sets, then its rings; ring offsets name the application")
    func layout() throws {
        let layout = try ServiceLayout(applicationCount: 3, contextsPerApplication: 2, ringPairsPerApplication: 4,
                                       receiveRingSize: 8192, transmitRingSize: 8192)
        #expect(layout.slotLength % ServiceLayout.pageSize == 0 && layout.payloadOffset % ServiceLayout.pageSize == 0)
        #expect(layout.payloadOffset >= 2 * layout.queueStride)
        #expect(layout.contexts(ofApplication: 1) == 2..<4)
        let window = layout.payloadWindow(ofApplication: 2)
        #expect(window.lowerBound == UInt64(2 * layout.slotLength + layout.payloadOffset))
        #expect(window.upperBound == UInt64(3 * layout.slotLength))
        #expect(layout.ringPartition.stride == layout.slotLength && layout.ringPartition.firstRingOffset == layout.payloadOffset)
        #expect(throws: ServiceLayout.Error.self) {
            try ServiceLayout(applicationCount: 1024, contextsPerApplication: 1, ringPairsPerApplication: 65_536, receiveRingSize: 1 << 20,
                              transmitRingSize: 1 << 20)
        }
    }
}
