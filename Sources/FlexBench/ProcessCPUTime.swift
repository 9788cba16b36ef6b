#if canImport(Glibc)
import Glibc
#endif

/// The CPU time a process has used so far, as Linux accounts it in /proc/PID/stat.
public enum ProcessCPUTime {
    /// User + system CPU time of process `pid` (every thread) in nanoseconds; throws when
    /// /proc/PID/stat cannot be read or parsed (the process is gone, /proc is not mounted).
    public static func nanoseconds(of pid: pid_t) throws(BenchmarkFailure) -> UInt64 {
        let path = "/proc/\(pid)/stat"
        guard let file = fopen(path, "r") else { throw BenchmarkFailure("cannot read \(path): errno \(errno)") }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 1024)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { throw BenchmarkFailure("\(path) is empty") }
        let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // Fields after the command (in parentheses, which may hold spaces): state is field 3, utime 14 and stime 15.
        guard let close = line.lastIndex(of: ")") else { throw BenchmarkFailure("\(path) has no command field") }
        let fields = line[line.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else {
            throw BenchmarkFailure("\(path) has no utime and stime")
        }
        return (user + system) * 1_000_000_000 / UInt64(sysconf(Int32(_SC_CLK_TCK)))
    }
}
