/// Why a `FlexTCPStack` could not start.
///
/// Contract: thrown by `FlexTCPStack.run`/`withStack` before the body runs; the text says what to fix.
public enum StackSetupError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The configuration cannot work (address, gateway, sizes); the text says which value and why.
    case invalidConfiguration(String)
    /// The port could not be opened (no such interface, no permission, …); the text says why.
    case portUnavailable(String)
    /// This end of an `InMemoryWire` already carries a running stack.
    case portInUse
    /// Memory, queues or threads for the stack could not be set up; the text says which.
    case resourcesUnavailable(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let text): "invalid FlexTCP configuration: \(text)"
        case .portUnavailable(let text): "cannot open the port: \(text)"
        case .portInUse: "this end of the in-memory wire already carries a running stack"
        case .resourcesUnavailable(let text): "cannot set up the stack: \(text)"
        }
    }
}
