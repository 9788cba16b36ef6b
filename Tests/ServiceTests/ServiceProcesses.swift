import FlexTCPTools
import Foundation
import Testing

/// The executables the service tests run (`flextcpd`, `flextcp`), from the build directory this
/// test binary lies in (`swift build --build-tests` builds them with it).
enum BuiltProduct {
    static func path(_ name: String) throws -> String {
        let testBinary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        // On Linux the test binary is `<bin>/FlexTCPPackageTests.xctest`; elsewhere it may lie inside a bundle.
        while !directory.path.isEmpty, directory.path != "/" {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        throw ProcessFailure("\(name) is not built next to the tests: run `swift build --build-tests` first")
    }
}

struct ProcessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A child process whose standard output and error go to files (read at any time).
final class ChildProcess {
    let process = Process()
    let outputPath: String
    let errorPath: String

    init(_ executable: String, _ arguments: [String]) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flextcp-service-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        outputPath = directory.appendingPathComponent("stdout").path
        errorPath = directory.appendingPathComponent("stderr").path
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        try process.run()
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    var errorOutput: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    /// Waits until `condition` holds (checked every 20 ms) or `seconds` pass; false on timeout.
    func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    /// Waits for the exit (killing the process after `seconds`); returns its status.
    @discardableResult
    func waitForExit(seconds: Double) -> Int32 {
        if !waitUntil(seconds: seconds, { !process.isRunning }) {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// A flextcpd on an in-memory wire to an echo peer (198.18.0.2:7), attach socket in a temporary directory.
final class TestService {
    static let peer = "198.18.0.2:7"
    let daemon: ChildProcess
    let socketPath: String

    init(extraArguments: [String] = []) throws {
        socketPath = FileManager.default.temporaryDirectory.appendingPathComponent("flextcpd-\(UUID().uuidString.prefix(8)).sock").path
        daemon = try ChildProcess(try BuiltProduct.path("flextcpd"),
                                  ["--memory-peer", "198.18.0.2", "--ip", "198.18.0.1/24", "--service", socketPath] + extraArguments)
        guard daemon.waitUntil(seconds: 30, { daemon.output.contains("flextcpd ready") }) else {
            throw ProcessFailure("flextcpd did not get ready: \(daemon.errorOutput)")
        }
    }

    /// `flextcp service-send` against the echo peer, verifying the echo (`rounds` transfers one after another).
    func send(bytes: Int, connections: Int, seed: UInt64, rounds: Int = 1) throws -> ChildProcess {
        try ChildProcess(try BuiltProduct.path("flextcp"),
                         ["service-send", "--service", socketPath, "--to", Self.peer, "--bytes", "\(bytes)",
                          "--connections", "\(connections)", "--seed", "\(seed)", "--echo", "--rounds", "\(rounds)"])
    }

    /// Lines of the service's log containing `text`.
    func logLines(containing text: String) -> [Substring] {
        daemon.errorOutput.split(separator: "\n").filter { $0.contains(text) }
    }

    /// SIGTERM, then the exit status; the log's last line holds the counters.
    func terminate() -> Int32 {
        kill(daemon.process.processIdentifier, SIGTERM)
        return daemon.waitForExit(seconds: 20)
    }
}

/// The report lines `flextcp send` prints for a stream of `bytes` bytes per connection from
/// `seed` (connection I: seed + I), computed here.
func expectedReports(bytes: Int, connections: Int, seed: UInt64) -> [String] {
    (0..<connections).map { index in
        var stream = SeededByteStream(seed: seed &+ UInt64(index))
        var hash = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 8)
        defer { buffer.deallocate() }
        stream.fill(buffer)
        hash.update(UnsafeRawBufferPointer(buffer))
        return "conn \(index) bytes=\(bytes) sha256=\(hash.hexDigest())"
    }
}
