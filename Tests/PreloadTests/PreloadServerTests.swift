#if canImport(Glibc)
import FlexTestHosts
import Foundation
import Testing

/// Servers from Debian packages run unmodified on flextcpd through the POSIX sockets library,
/// driven by their own clients on a Linux peer; data is compared where the client lets us.
@Suite("Debian servers through the POSIX sockets library", .enabled(if: runsAsRoot), .serialized)
struct PreloadServerTests {
    /// Runs `arguments` on the Linux side until it succeeds and `done` accepts its result (a server
    /// still starting refuses), at most `seconds`.
    private func retry(_ rig: PreloadRig, _ arguments: [String], seconds: Double = 30,
                       until done: (CommandResult) -> Bool = { _ in true }) throws -> CommandResult {
        let end = Date().addingTimeInterval(seconds)
        var result = try rig.linuxSide.run(arguments, timeout: .seconds(30))
        while !(result.succeeded && done(result)) && Date() < end {
            usleep(200_000)
            result = try rig.linuxSide.run(arguments, timeout: .seconds(30))
        }
        return result
    }

    @Test("curl fetches a 5 MB file from nginx-light (sendfile on, epoll edge-triggered) intact")
    func nginx() throws {
        let rig = try PreloadRig()
        let site = rig.path("site")
        try FileManager.default.createDirectory(atPath: site, withIntermediateDirectories: true)
        let body = Data(seededBytes(5_000_000, seed: 21))
        FileManager.default.createFile(atPath: site + "/body.bin", contents: body)
        let configuration = rig.path("nginx.conf")
        try """
            daemon off; master_process off; worker_processes 1; pid \(site)/nginx.pid; error_log stderr notice;
            events { use epoll; worker_connections 64; }
            http {
                access_log off; sendfile on;
                client_body_temp_path \(site); proxy_temp_path \(site); fastcgi_temp_path \(site);
                uwsgi_temp_path \(site); scgi_temp_path \(site);
                server { listen 8080; root \(site); }
            }
            """.write(toFile: configuration, atomically: true, encoding: .utf8)
        let server = try rig.startPreloaded(["nginx", "-c", configuration, "-e", "stderr"])
        let fetched = rig.path("fetched.bin")
        let result = try retry(rig, ["curl", "-sf", "-o", fetched, "http://\(PreloadRig.serviceAddress):8080/body.bin"])
        #expect(result.succeeded, "\(result); nginx: \(server.stop())")
        #expect(FileManager.default.contents(atPath: fetched) == body, "the body curl fetched differs")
    }

    @Test("redis-server answers redis-benchmark (SET/GET, 10 clients) and keeps an 80 kB value intact")
    func redis() throws {
        let rig = try PreloadRig()
        let server = try rig.startPreloaded(["redis-server", "--port", "6379", "--save", "", "--appendonly", "no", "--protected-mode", "no"])
        let host = ["-h", PreloadRig.serviceAddress, "-p", "6379"]
        let value = seededBytes(40_000, seed: 31).map { String(format: "%02x", $0) }.joined()
        let set = try retry(rig, ["redis-cli"] + host + ["set", "big", value])
        #expect(set.succeeded && set.standardOutput.contains("OK"), "\(set)")
        let get = try rig.linuxSide.run(["redis-cli"] + host + ["--raw", "get", "big"], timeout: .seconds(30))
        #expect(get.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == value, "the value read back differs")
        let benchmark = try rig.linuxSide.run(["redis-benchmark"] + host + ["-n", "2000", "-c", "10", "-t", "set,get", "-q"], timeout: .seconds(60))
        #expect(benchmark.succeeded && benchmark.standardOutput.contains("GET:"), "\(benchmark)")
        _ = try rig.linuxSide.run(["redis-cli"] + host + ["shutdown", "nosave"])
        #expect(server.wait(timeout: .seconds(20)).succeeded)
    }

    @Test("memcached (two worker threads) passes memccapable and serves memcslap")
    func memcached() throws {
        let rig = try PreloadRig()
        let server = try rig.startPreloaded(["memcached", "-u", "root", "-p", "11211", "-U", "0", "-l", "0.0.0.0", "-t", "2"])
        let capable = try retry(rig, ["memccapable", "-h", PreloadRig.serviceAddress, "-p", "11211"])
        #expect(capable.succeeded && capable.standardOutput.contains("All tests passed"), "\(capable)")
        let slap = try rig.linuxSide.run(["memcslap", "--servers=\(PreloadRig.serviceAddress):11211", "--concurrency=4", "--execute-number=500",
                                          "--binary"], timeout: .seconds(60))
        #expect(slap.succeeded, "\(slap)")
        server.stop()
    }

    @Test("iperf3 through the library receives and sends (-R) a 2 s transfer")
    func iperf3() throws {
        let rig = try PreloadRig()
        for (port, reverse) in [("5201", false), ("5202", true)] {
            let server = try rig.startPreloaded(["iperf3", "-s", "-1", "-4", "-p", port])
            let client = try retry(rig, ["iperf3", "-c", PreloadRig.serviceAddress, "-p", port, "-t", "2"] + (reverse ? ["-R"] : []))
            #expect(client.succeeded && client.standardOutput.contains("receiver"), "\(client)")
            let served = server.wait(timeout: .seconds(20))
            #expect(served.succeeded, "\(served)")
        }
    }

    @Test("sockperf ping-pong against a sockperf server on the library")
    func sockperf() throws {
        let rig = try PreloadRig()
        let server = try rig.startPreloaded(["sockperf", "sr", "--tcp", "-i", "0.0.0.0", "-p", "11111"])
        let summary = "Summary: Latency"
        let client = try retry(rig, ["sockperf", "pp", "--tcp", "-i", PreloadRig.serviceAddress, "-p", "11111", "-t", "2"]) {
            ($0.standardOutput + $0.standardError).contains(summary)
        }
        #expect(client.succeeded && (client.standardOutput + client.standardError).contains(summary), "\(client)")
        server.stop()
    }
}
#endif
