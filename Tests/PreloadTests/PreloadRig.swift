#if canImport(Glibc)
import FlexTestHosts
import Foundation
import Testing

/// The preload tests need root (namespaces, veth, AF_PACKET for flextcpd).
let runsAsRoot = getuid() == 0

/// Two test hosts on a veth pair: `serviceSide` runs flextcpd on its end (198.18.31.1, no kernel
/// address) and the programs the tests run through the POSIX sockets library (`flextcp run`);
/// `linuxSide` is a Linux peer at 198.18.31.2. Everything goes with the network at `close()`
/// or when the rig is released.
final class PreloadRig {
    static let serviceAddress = "198.18.31.1"
    static let linuxAddress = "198.18.31.2"
    let network = TestNetwork()
    let serviceSide: TestNamespace
    let linuxSide: TestNamespace
    let socketPath: String
    let scratch: URL
    private let service: RunningCommand

    init() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("flextcp-preload-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        socketPath = scratch.appendingPathComponent("flextcpd.sock").path
        serviceSide = try network.makeNamespace()
        linuxSide = try network.makeNamespace()
        let pair = try network.makeVethPair(between: serviceSide, and: linuxSide)
        try linuxSide.assign(TestAddress(Self.linuxAddress + "/24"), to: pair.second.name)
        service = try serviceSide.start([try Self.built("flextcpd"), "--interface", pair.first.name, "--ip", Self.serviceAddress + "/24",
                                         "--service", socketPath])
        guard waitForFile(socketPath, seconds: 30) else {
            throw RigFailure("flextcpd did not get ready: \(service.stop())")
        }
    }

    deinit {
        service.stop()
        network.teardown()
        try? FileManager.default.removeItem(at: scratch)
    }

    /// Kills flextcpd (as a crash would).
    func stopService() { service.stop() }

    /// Starts `arguments` on the service side through `flextcp run` (the library preloaded).
    func startPreloaded(_ arguments: [String]) throws -> RunningCommand {
        try serviceSide.start([try Self.built("flextcp"), "run", "--service", socketPath, "--"] + arguments)
    }

    /// Runs `arguments` through the library to its end (at most `timeout`), again while it fails
    /// with "Connection refused" (the Linux servers it talks to were still starting; 20 tries, 200 ms apart).
    func runPreloaded(_ arguments: [String], timeout: Duration = .seconds(60)) throws -> CommandResult {
        var result = try startPreloaded(arguments).wait(timeout: timeout)
        for _ in 0..<20 where result.standardError.contains("Connection refused") {
            usleep(200_000)
            result = try startPreloaded(arguments).wait(timeout: timeout)
        }
        return result
    }

    /// A path in the rig's scratch directory.
    func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    /// One of this test target's Python scripts.
    static func script(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts/\(name)").path
    }

    /// An executable built next to this test binary (`swift build --build-tests` builds them with it).
    static func built(_ name: String) throws -> String {
        let testBinary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let candidate = URL(fileURLWithPath: testBinary).deletingLastPathComponent().appendingPathComponent(name).path
        guard FileManager.default.fileExists(atPath: candidate) else { throw RigFailure("\(candidate) is not built: run `swift build --build-tests`") }
        return candidate
    }
}

struct RigFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Waits until a file exists at `path` (checked every 20 ms) or `seconds` pass.
func waitForFile(_ path: String, seconds: Double) -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if FileManager.default.fileExists(atPath: path) { return true }
        usleep(20_000)
    }
    return false
}

/// `count` bytes of a seeded pseudo-random stream (the same for the same seed).
func seededBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed | 1
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}
#endif
