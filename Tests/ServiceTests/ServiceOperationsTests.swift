import FlexTCPCore
import FlexTCPService
import Foundation
import Testing

/// flextcpd as an operator sees it: its metrics endpoint and `flextcp stats`, and its shutdown.
@Suite("flextcpd's metrics and shutdown", .serialized)
struct ServiceOperationsTests {
    @Test("The metrics endpoint serves parseable Prometheus text with global and per-application counters; flextcp stats tables them")
    func metricsEndpoint() throws {
        let service = try TestService()
        #expect(service.daemon.output.contains("metrics at unix:\(service.socketPath).metrics"), "the ready line says where")
        let sender = try service.send(bytes: 400_000_000, connections: 2, seed: 11)
        let endpoint = MetricsAddress.unix(path: service.socketPath + ServiceSettings.metricsSuffix)
        var samples: [MetricSample] = []
        var text = ""
        let application = ["application": "0"]
        #expect(service.daemon.waitUntil(seconds: 20) {
            text = (try? ServiceStats.fetch(from: endpoint)) ?? ""
            samples = (try? ServiceStats.parse(text)) ?? []
            return value(samples, "flextcpd_application_acked_bytes_total", application) > 0
                && value(samples, "flextcpd_application_connections", application.merging(["state": "established"]) { $1 }) == 2
        }, "per-application counters appear: \(text.prefix(2000))")
        #expect(throws: Never.self) { try ServiceStats.parse(text) }
        #expect(text.contains("# TYPE flextcpd_packets_total counter"))
        #expect(value(samples, "flextcpd_packets_total", ["direction": "received"]) > 0)
        #expect(value(samples, "flextcpd_bytes_total", ["direction": "transmitted"]) > 0)
        #expect(value(samples, "flextcpd_applications_attached") == 1)
        #expect(value(samples, "flextcpd_application_pid", application) == Double(sender.process.processIdentifier))
        #expect(value(samples, "flextcpd_connections", ["state": "established"]) == 2)

        let stats = try ChildProcess(try BuiltProduct.path("flextcp"), ["stats", "--service", service.socketPath])
        #expect(stats.waitForExit(seconds: 20) == 0, "\(stats.errorOutput)")
        let rows = stats.output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.contains { $0.first == "app" && $0.contains("established") }, "\(stats.output)")
        #expect(rows.contains { $0.starts(with: ["0", "yes", "\(sender.process.processIdentifier)", "2"]) }, "\(stats.output)")
        kill(sender.process.processIdentifier, SIGKILL)
        #expect(service.terminate() == 0)
    }

    @Test("A client trickling its request holds the metrics thread at most 1 s in all: the next scrape is answered")
    func tricklingMetricsClient() throws {
        let service = try TestService()
        let endpoint = MetricsAddress.unix(path: service.socketPath + ServiceSettings.metricsSuffix)
        let trickler = endpoint.connect()
        try #require(trickler >= 0)
        // One byte every 0.3 s for 4 s (each within a per-read limit of 1 s), never a whole request.
        let trickled = DispatchSemaphore(value: 0)
        Thread {
            for _ in 0..<13 {
                var byte = UInt8(ascii: "G")
                _ = send(trickler, &byte, 1, Int32(MSG_NOSIGNAL))
                usleep(300_000)
            }
            trickled.signal()
        }.start()
        usleep(100_000)
        let started = Date()
        let text = try ServiceStats.fetch(from: endpoint)
        let waited = Date().timeIntervalSince(started)
        trickled.wait()
        close(trickler)
        #expect(text.contains("flextcpd_packets_total"))
        #expect(waited < 2, "the scrape waited \(waited) s behind the trickling client")
        #expect(service.terminate() == 0)
    }

    @Test("SIGTERM with attached applications: they are told and their connections reset, memory freed, no socket file left, exit 0")
    func gracefulShutdown() throws {
        let service = try TestService()
        let sender = try service.send(bytes: 400_000_000, connections: 2, seed: 12)
        #expect(service.daemon.waitUntil(seconds: 20) { !service.logLines(containing: "attach").isEmpty })
        let raw = try AttachClient(path: service.socketPath)
        _ = try raw.attach()
        usleep(300_000)
        #expect(service.terminate() == 0)
        #expect(raw.messagesUntilHangUp(seconds: 5) == [AttachProtocol.goodbye], "the raw application was told, then hung up on")
        #expect(sender.waitUntil(seconds: 10) { !sender.process.isRunning }, "the sending application sees its connections end")
        #expect(sender.waitForExit(seconds: 1) != 0)
        #expect(sender.errorOutput.contains("conn"), "it says which connection failed: \(sender.errorOutput)")
        #expect(!FileManager.default.fileExists(atPath: service.socketPath), "attach socket removed")
        #expect(!FileManager.default.fileExists(atPath: service.socketPath + ServiceSettings.metricsSuffix), "metrics socket removed")
        let stopped = service.logLines(containing: "stopped").last.map(String.init) ?? ""
        #expect(stopped.contains("attached=2 hungUp=2"), "\(stopped)")
        #expect(stopped.contains("regionsFreed=2"), "both applications' memory renewed (the old freed): \(stopped)")
        #expect(stopped.contains("attachedNow=0 draining=0"), "\(stopped)")
        let reset = stopped.split(separator: " ").first { $0.hasPrefix("flowsReset=") }.flatMap { Int($0.dropFirst("flowsReset=".count)) }
        #expect((reset ?? 0) >= 2, "the sender's connections were reset: \(stopped)")
        #expect(!service.logLines(containing: "shutting down").isEmpty)
    }

    @Test("Prometheus text is parsed into samples and tabled; a line that is not a sample is an error naming it")
    func parseAndTable() throws {
        let text = """
            # TYPE flextcpd_application_connections gauge
            flextcpd_application_connections{application="1",state="established"} 3
            flextcpd_application_attached{application="1"} 1
            flextcpd_drops_total{reason="malformed"} 7
            flextcpd_applications_attached 1
            flextcpd_application_attached{application="2"} 0

            """
        let samples = try ServiceStats.parse(text)
        #expect(samples.count == 5)
        #expect(samples[0] == MetricSample(name: "flextcpd_application_connections", labels: ["application": "1", "state": "established"], value: 3))
        let table = ServiceStats.table(samples)
        #expect(table.contains("drops        malformed 7"))
        let lines = table.split(separator: "\n")
        #expect(lines.dropLast().last?.split(separator: " ").prefix(4).map(String.init) == ["1", "yes", "0", "3"])
        #expect(lines.last == "(1 free application slots with nothing to show)")
        #expect(throws: ServiceStats.Failure.self) { try ServiceStats.parse("flextcpd_x{broken 1") }
    }

    private func value(_ samples: [MetricSample], _ name: String, _ labels: [String: String] = [:]) -> Double { samples.sum(name, labels) }
}
