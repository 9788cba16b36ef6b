/// Why a test-host operation failed.
///
/// Contract: every failure of FlexTestHosts surfaces as one of these (never a trap), with enough
/// text to see what went wrong: the command and its output, or the system call and errno text.
public enum TestHostError: Error, CustomStringConvertible {
    /// A command ran but exited unsuccessfully (or timed out).
    case commandFailed(arguments: [String], result: CommandResult)
    /// A system call failed; `message` is the errno text.
    case systemCall(operation: String, code: Int32, message: String)
    /// An address outside 198.18.0.0/15 (or not an IPv4 address with prefix length 15...32).
    case addressOutsideTestRange(String)

    public var description: String {
        switch self {
        case let .commandFailed(arguments, result):
            return "`\(arguments.joined(separator: " "))` failed: \(result)"
        case let .systemCall(operation, code, message):
            return "\(operation) failed: \(message) (errno \(code))"
        case let .addressOutsideTestRange(text):
            return "\(text) is not an address with prefix in 198.18.0.0/15"
        }
    }
}

#if canImport(Glibc)
import Glibc

extension TestHostError {
    /// A `.systemCall` error for errno `code`.
    static func failed(_ operation: String, code: Int32) -> TestHostError {
        .systemCall(operation: operation, code: code, message: String(cString: strerror(code)))
    }
}
#endif
