/// Why a host operation failed.
public enum HostError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The TCP connection could not be made or broke (the system's or stack's words).
    case connection(String)
    /// The controller ended the connection with a C2HTermReq (FES, FEI).
    case terminated(status: UInt16, field: UInt32)
    /// We ended it: the controller sent a malformed PDU.
    case protocolViolation(ProtocolViolation)
    /// A command completed with an error status.
    case command(NVMeStatus)
    /// Nothing happened for too long.
    case timedOut
    /// A request the host cannot make (bad size, no such queue).
    case invalidRequest(String)
    /// The controller reported a value the host cannot work with (the message names the field).
    case unusableController(String)

    public var description: String {
        switch self {
        case .connection(let why): "connection failed: \(why)"
        case .terminated(let status, let field): "the target terminated the connection (FES \(status), FEI \(field))"
        case .protocolViolation(let reason): "the target sent a malformed PDU (\(reason))"
        case .command(let status): "command failed: \(status)"
        case .timedOut: "timed out"
        case .invalidRequest(let why): why
        case .unusableController(let why): "unusable controller: \(why)"
        }
    }
}
