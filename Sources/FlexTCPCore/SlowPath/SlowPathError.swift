import FlexWire

/// Why a listen or connect request was refused (nothing changed).
package enum SlowPathError: Error, Hashable, Sendable {
    case portInUse(UInt16)
    case invalidBacklog(Int)
    case noFreeFlow
    case noEphemeralPort
    case noRoute(IPv4Address)
}
