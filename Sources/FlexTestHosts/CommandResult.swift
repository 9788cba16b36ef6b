/// What a finished command left behind.
///
/// Contract: `status` is the exit status, or 128 + signal number when a signal ended it;
/// `timedOut` says the runner killed it at its time limit.
public struct CommandResult: Sendable, CustomStringConvertible {
    public let status: Int32
    public let standardOutput: String
    public let standardError: String
    public let timedOut: Bool

    public var succeeded: Bool { status == 0 && !timedOut }

    public var description: String {
        var text = timedOut ? "timed out" : "exit status \(status)"
        if !standardOutput.isEmpty { text += "; stdout: \(standardOutput)" }
        if !standardError.isEmpty { text += "; stderr: \(standardError)" }
        return text
    }
}
