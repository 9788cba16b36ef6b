#if canImport(Glibc)
import Glibc
import Synchronization

/// A command running in its own process group, its output collected in unlinked temporary files.
///
/// Contract: `wait(timeout:)` returns the result once the process has exited, killing the whole
/// process group (SIGKILL) at the time limit; `stop()` kills it at once. Both may be called
/// repeatedly and from any thread and return the same result; `deinit` stops a command still running.
/// The child gets stdin from /dev/null and a minimal environment (PATH, LANG=C).
public final class RunningCommand: Sendable {
    public let arguments: [String]
    public let processID: pid_t
    private let outputFile: Int32
    private let errorFile: Int32
    private let finished = Mutex<CommandResult?>(nil)

    /// Starts `arguments[0]` (searched in PATH) with the remaining arguments.
    public init(_ arguments: [String]) throws(TestHostError) {
        precondition(!arguments.isEmpty, "a command needs a program name")
        self.arguments = arguments
        outputFile = try Self.makeCaptureFile()
        do {
            errorFile = try Self.makeCaptureFile()
        } catch {
            close(outputFile)
            throw error
        }
        do {
            processID = try Self.spawn(arguments, output: outputFile, error: errorFile)
        } catch {
            close(outputFile)
            close(errorFile)
            throw error
        }
    }

    deinit { _ = stop() }

    /// Waits up to `timeout` for the command to exit; kills its process group if it has not.
    public func wait(timeout: Duration = .seconds(10)) -> CommandResult {
        finished.withLock { result in
            if let result { return result }
            let pollInterval: Duration = .milliseconds(2)
            var remaining = timeout
            var status: Int32 = 0
            while remaining > .zero {
                if waitpid(processID, &status, WNOHANG) == processID {
                    return collect(status: status, timedOut: false, into: &result)
                }
                sleep(for: pollInterval)
                remaining -= pollInterval
            }
            kill(-processID, SIGKILL)
            waitpid(processID, &status, 0)
            return collect(status: status, timedOut: true, into: &result)
        }
    }

    /// Kills the command's process group (if still running) and returns its result.
    @discardableResult
    public func stop() -> CommandResult {
        finished.withLock { result in
            if let result { return result }
            kill(-processID, SIGKILL)
            var status: Int32 = 0
            waitpid(processID, &status, 0)
            return collect(status: status, timedOut: false, into: &result)
        }
    }

    private func collect(status: Int32, timedOut: Bool, into result: inout CommandResult?) -> CommandResult {
        let signal = status & 0x7f
        let collected = CommandResult(status: signal == 0 ? (status >> 8) & 0xff : 128 + signal,
                                      standardOutput: Self.readAll(outputFile), standardError: Self.readAll(errorFile),
                                      timedOut: timedOut)
        close(outputFile)
        close(errorFile)
        result = collected
        return collected
    }

    private static func makeCaptureFile() throws(TestHostError) -> Int32 {
        var template = Array("/tmp/flextesthosts-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw .failed("mkstemp", code: errno) }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return descriptor
    }

    private static func spawn(_ arguments: [String], output: Int32, error: Int32) throws(TestHostError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, error, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGCHLD] { sigaddset(&defaultSignals, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let environment: [String] = ["PATH=\(path)", "LANG=C"]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var processID: pid_t = 0
        let status = posix_spawnp(&processID, arguments[0], &actions, &attributes, argv, envp)
        guard status == 0 else { throw .failed("posix_spawnp(\(arguments[0]))", code: status) }
        return processID
    }

    private static func readAll(_ descriptor: Int32) -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var offset = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
            guard count > 0 else { break }
            bytes += chunk[0..<count]
            offset += count
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func sleep(for duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        nanosleep(&request, nil)
    }
}
#endif
