/// A 16-byte NVMe completion queue entry: command-specific result, SQ head pointer, SQ identifier,
/// command identifier and status (SCT/SC/DNR, phase bit excluded).
public struct CompletionEntry: Sendable, Equatable {
    public static let size = 16
    /// Dwords 0 and 1.
    public var result: UInt64
    public var submissionQueueHead: UInt16
    public var submissionQueueID: UInt16
    public var commandID: UInt16
    public var status: NVMeStatus

    public init(result: UInt64 = 0, submissionQueueHead: UInt16 = 0, submissionQueueID: UInt16 = 0, commandID: UInt16, status: NVMeStatus) {
        self.result = result
        self.submissionQueueHead = submissionQueueHead
        self.submissionQueueID = submissionQueueID
        self.commandID = commandID
        self.status = status
    }

    /// The entry in the first 16 bytes of `raw`.
    init(_ raw: UnsafeRawBufferPointer) {
        result = raw.loadLittle(at: 0)
        submissionQueueHead = raw.loadLittle(at: 8)
        submissionQueueID = raw.loadLittle(at: 10)
        commandID = raw.loadLittle(at: 12)
        status = NVMeStatus(fieldValue: raw.loadLittle(at: 14))
    }

    /// Writes the entry into the first 16 bytes of `raw` (phase bit 0).
    func store(into raw: UnsafeMutableRawBufferPointer) {
        raw.storeLittle(result, at: 0)
        raw.storeLittle(submissionQueueHead, at: 8)
        raw.storeLittle(submissionQueueID, at: 10)
        raw.storeLittle(commandID, at: 12)
        raw.storeLittle(status.fieldValue, at: 14)
    }
}

/// An NVMe completion status: status code type, status code and Do Not Retry.
public struct NVMeStatus: Sendable, Equatable, CustomStringConvertible {
    public var codeType: UInt8
    public var code: UInt8
    public var doNotRetry: Bool

    public init(codeType: UInt8, code: UInt8, doNotRetry: Bool = false) {
        self.codeType = codeType
        self.code = code
        self.doNotRetry = doNotRetry
    }

    /// The status from a CQE's status field (bit 0 is the phase tag).
    init(fieldValue: UInt16) {
        code = UInt8(truncatingIfNeeded: fieldValue >> 1)
        codeType = UInt8((fieldValue >> 9) & 0x7)
        doNotRetry = fieldValue & 0x8000 != 0
    }

    /// The CQE status field (phase tag 0).
    var fieldValue: UInt16 { UInt16(code) << 1 | UInt16(codeType & 0x7) << 9 | (doNotRetry ? 0x8000 : 0) }

    public var isSuccess: Bool { codeType == 0 && code == 0 }
    public var description: String { "SCT \(codeType) SC 0x\(String(code, radix: 16))\(doNotRetry ? " DNR" : "")" }

    public static let success = NVMeStatus(codeType: 0, code: 0x00)
    public static let invalidOpcode = NVMeStatus(codeType: 0, code: 0x01, doNotRetry: true)
    public static let invalidField = NVMeStatus(codeType: 0, code: 0x02, doNotRetry: true)
    public static let dataTransferError = NVMeStatus(codeType: 0, code: 0x04)
    public static let commandSequenceError = NVMeStatus(codeType: 0, code: 0x0C, doNotRetry: true)
    public static let invalidNamespace = NVMeStatus(codeType: 0, code: 0x0B, doNotRetry: true)
    public static let sglDataBlockInvalid = NVMeStatus(codeType: 0, code: 0x0F, doNotRetry: true)
    public static let sglLengthInvalid = NVMeStatus(codeType: 0, code: 0x0D, doNotRetry: true)
    /// Transient Transport Error: what a data digest error completes a command with (it may be retried).
    public static let transientTransportError = NVMeStatus(codeType: 0, code: 0x22)
    public static let lbaOutOfRange = NVMeStatus(codeType: 0, code: 0x80, doNotRetry: true)
    public static let invalidQueueIdentifier = NVMeStatus(codeType: 1, code: 0x01, doNotRetry: true)
    public static let invalidQueueSize = NVMeStatus(codeType: 1, code: 0x02, doNotRetry: true)
    public static let asyncEventLimitExceeded = NVMeStatus(codeType: 1, code: 0x05, doNotRetry: true)
    public static let invalidLogPage = NVMeStatus(codeType: 1, code: 0x09, doNotRetry: true)
    public static let featureNotChangeable = NVMeStatus(codeType: 1, code: 0x0E, doNotRetry: true)
    public static let connectInvalidParameters = NVMeStatus(codeType: 1, code: 0x82, doNotRetry: true)
    public static let internalError = NVMeStatus(codeType: 0, code: 0x06)
}
