import FlexTestHosts
import Foundation

/// A key-value server process for `flexbench kvs` on a free loopback port: `flexkvs` (the binary
/// next to `flexbench`) on Linux sockets with one thread, or Debian's memcached with one or two threads.
///
/// Contract: `init` starts it and waits until it accepts connections; `stop` kills it (also on deinit).
final class KVSServerProcess {
    let port: UInt16
    private let command: RunningCommand

    init(system: String) throws {
        port = UInt16.random(in: 20_000...40_000)
        var rootUser: [String] { geteuid() == 0 ? ["-u", "root"] : [] }
        switch system {
        case "flexkvs-linux":
            let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("flexkvs").path
            command = try RunningCommand([binary, "--port", "\(port)", "--threads", "1", "--memory", "1024"])
        case "memcached-t1", "memcached-t2":
            command = try RunningCommand(["memcached", "-p", "\(port)", "-U", "0", "-l", "127.0.0.1", "-m", "1024",
                                          "-t", system.hasSuffix("t1") ? "1" : "2"] + rootUser)
        default:
            throw KVSBenchmarkError("unknown system \(system) (flexkvs-linux, memcached-t1, memcached-t2)")
        }
        close(try KVSClient.connect(port: port))
    }

    deinit { stop() }

    func stop() { _ = command.stop() }

    /// The process's user + system CPU time so far, in seconds (/proc/PID/stat).
    func cpuSeconds() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(command.processID)/stat", encoding: .utf8),
              let afterName = stat.range(of: ") ") else { return 0 }
        let fields = stat[afterName.upperBound...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
