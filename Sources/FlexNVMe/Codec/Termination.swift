/// The fatal error statuses (FES) of H2CTermReq / C2HTermReq.
public enum FatalErrorStatus: UInt16, Sendable {
    case invalidHeaderField = 0x01
    case pduSequenceError = 0x02
    case headerDigestError = 0x03
    case dataOutOfRange = 0x04
    case dataLimitExceeded = 0x05
    case unsupportedParameter = 0x06
}

/// Why a connection was terminated: the counted reason for each way a PDU can be malformed or out of place.
public enum ProtocolViolation: Int, Sendable, CaseIterable {
    case unknownPDUType, wrongDirection, headerLengthMismatch, reservedFlags, digestFlagMismatch, dataOffsetInvalid,
         totalLengthInvalid, headerDigestMismatch, unsupportedVersion, dataAlignmentInvalid, maximumR2TInvalid,
         maximumDataInvalid, initializationMissing, initializationRepeated, unknownTransferTag, dataOffsetOutOfOrder,
         dataOutOfRange, dataLimitExceeded, inCapsuleDataTooLarge, unexpectedPDU, sglInvalid, queueOverflow,
         duplicateCommandID, unknownCommandID, termReqReceived
}

/// A termination the reader or an endpoint decided on: the FES and FEI to send, and the counted reason.
public struct Termination: Error, Sendable, Equatable {
    public var status: FatalErrorStatus
    /// FEI: for header field errors the byte offset of the field in the PDU header; else 0 or the value the spec names.
    public var fieldInformation: UInt32
    public var reason: ProtocolViolation

    public init(_ status: FatalErrorStatus, field: UInt32 = 0, _ reason: ProtocolViolation) {
        self.status = status
        self.fieldInformation = field
        self.reason = reason
    }
}

/// Counts of terminations by reason, and of digest errors, for one endpoint (or a whole server).
public struct ProtocolCounters: Sendable, Equatable {
    public private(set) var terminations = [Int](repeating: 0, count: ProtocolViolation.allCases.count)
    /// Data digests that did not match (commands failed or retried, connection kept).
    public var dataDigestErrors = 0

    public init() {}

    /// Counts one termination for `reason`.
    public mutating func count(_ reason: ProtocolViolation) { terminations[reason.rawValue] += 1 }

    /// How many terminations had `reason`.
    public subscript(reason: ProtocolViolation) -> Int { terminations[reason.rawValue] }

    /// Adds `other`'s counts.
    public mutating func add(_ other: ProtocolCounters) {
        for index in terminations.indices { terminations[index] += other.terminations[index] }
        dataDigestErrors += other.dataDigestErrors
    }
}
