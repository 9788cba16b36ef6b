/// Why a queue entry could not be decoded. Decoding never traps: whatever bytes another party
/// wrote, the result is a value or one of these.
@usableFromInline package enum ContextEntryError: Error, Equatable, Sendable {
    /// The slot's length is not the queue's entry size.
    case wrongLength(Int)
    /// Byte 0 is not a type this queue carries.
    case unknownType(UInt8)
    case unsupportedVersion(UInt8)
    case reservedBytesNotZero
    /// A reason or status field holds a value this version does not define.
    case unknownCode(UInt16)
}

/// Why a consumer rejected an entry (the reason field of a rejected entry; ABI values).
package enum RejectionReason: UInt16, CaseIterable, Sendable {
    case wrongLength = 1
    case unknownType = 2
    case unsupportedVersion = 3
    case reservedBytesNotZero = 4
    case unknownCode = 5
    /// The flow index is not below the fast path's flow capacity.
    case flowOutOfRange = 6
    /// No flow is installed at the index, or it belongs to another context.
    case flowNotOwned = 7
    /// The send bytes do not fit in the transmit ring after what is already queued.
    case sendTooLarge = 8
    /// The free bytes exceed what the receive ring holds for the application.
    case freeTooLarge = 9

    package init(_ error: ContextEntryError) {
        switch error {
        case .wrongLength: self = .wrongLength
        case .unknownType: self = .unknownType
        case .unsupportedVersion: self = .unsupportedVersion
        case .reservedBytesNotZero: self = .reservedBytesNotZero
        case .unknownCode: self = .unknownCode
        }
    }
}

/// Why a flow's byte stream ended or the slow path let the flow go (ABI values).
package enum CloseReason: UInt16, CaseIterable, Sendable {
    /// The peer sent FIN after its last byte.
    case peerFinished = 1
    /// The peer reset the connection.
    case reset = 2
    /// The slow path gave up retransmitting.
    case timedOut = 3
    /// The application asked for the close.
    case closedByApplication = 4
}

/// The outcome of a slow-path request (ABI values; 0 is success).
package enum SlowPathStatus: UInt16, CaseIterable, Sendable {
    case success = 0
    /// Well-formed but meaningless: port 0, backlog 0, moving to the same context.
    case invalidArgument = 1
    case addressInUse = 2
    case noSuchListener = 3
    /// No flow at that index, or it belongs to another context.
    case noSuchFlow = 4
    case connectionRefused = 5
    case unreachable = 6
    case timedOut = 7
    /// No free flow slot, ring memory or backlog space.
    case resourcesExhausted = 8
    case noSuchContext = 9
    /// The listener was closed: its pending accepts fail with this.
    case listenerClosed = 10
}
