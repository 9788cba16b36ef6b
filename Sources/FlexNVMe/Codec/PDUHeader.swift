/// ICReq / ICResp parameters: PFV, the PDU data alignment (HPDA in ICReq, CPDA in ICResp), the digests
/// asked for or granted, and MAXR2T (ICReq, 0's based) or MAXH2CDATA (ICResp).
public struct ConnectionParameters: Sendable, Equatable {
    public var formatVersion: UInt16 = 0
    /// HPDA/CPDA: required data alignment in units of 4 bytes, 0's based (0...31).
    public var dataAlignment: UInt8 = 0
    public var headerDigest: Bool
    public var dataDigest: Bool
    /// MAXR2T (0's based) in ICReq, MAXH2CDATA in ICResp.
    public var limit: UInt32

    public init(headerDigest: Bool, dataDigest: Bool, limit: UInt32, dataAlignment: UInt8 = 0) {
        self.headerDigest = headerDigest
        self.dataDigest = dataDigest
        self.limit = limit
        self.dataAlignment = dataAlignment
    }
}

/// The fields of H2CData, C2HData and R2T: command identifier, transfer tag (not in C2HData), and
/// the offset and length of the data (R2TO/R2TL for R2T, DATAO/DATAL otherwise).
public struct DataTransferHeader: Sendable, Equatable {
    public var commandID: UInt16
    public var transferTag: UInt16
    public var offset: UInt32
    public var length: UInt32

    public init(commandID: UInt16, transferTag: UInt16 = 0, offset: UInt32, length: UInt32) {
        self.commandID = commandID
        self.transferTag = transferTag
        self.offset = offset
        self.length = length
    }
}

/// A decoded PDU-specific header (what follows the common header up to HLEN).
public enum PDUHeader: Sendable, Equatable {
    case icReq(ConnectionParameters)
    case icResp(ConnectionParameters)
    case h2cTermReq(status: UInt16, field: UInt32)
    case c2hTermReq(status: UInt16, field: UInt32)
    case capsuleCmd(SubmissionEntry)
    case capsuleResp(CompletionEntry)
    case h2cData(DataTransferHeader)
    case c2hData(DataTransferHeader)
    case r2t(DataTransferHeader)

    public var type: PDUType {
        switch self {
        case .icReq: .icReq
        case .icResp: .icResp
        case .h2cTermReq: .h2cTermReq
        case .c2hTermReq: .c2hTermReq
        case .capsuleCmd: .capsuleCmd
        case .capsuleResp: .capsuleResp
        case .h2cData: .h2cData
        case .c2hData: .c2hData
        case .r2t: .r2t
        }
    }

    /// Writes the PDU-specific part into `header` (HLEN bytes, zeroed, common header already there).
    func store(into header: UnsafeMutableRawBufferPointer) {
        switch self {
        case .icReq(let parameters), .icResp(let parameters):
            header.storeLittle(parameters.formatVersion, at: 8)
            header[10] = parameters.dataAlignment
            header[11] = (parameters.headerDigest ? 1 : 0) | (parameters.dataDigest ? 2 : 0)
            header.storeLittle(parameters.limit, at: 12)
        case .h2cTermReq(let status, let field), .c2hTermReq(let status, let field):
            header.storeLittle(status, at: 8)
            header.storeLittle(field, at: 10)
        case .capsuleCmd(let entry):
            withUnsafeBytes(of: entry.bytes) { header.baseAddress!.advanced(by: 8).copyMemory(from: $0.baseAddress!, byteCount: 64) }
        case .capsuleResp(let entry):
            entry.store(into: UnsafeMutableRawBufferPointer(rebasing: header[8..<24]))
        case .h2cData(let data), .c2hData(let data), .r2t(let data):
            header.storeLittle(data.commandID, at: 8)
            header.storeLittle(data.transferTag, at: 10)
            header.storeLittle(data.offset, at: 12)
            header.storeLittle(data.length, at: 16)
        }
    }

    /// Decodes the PDU-specific part of `header` (HLEN bytes) of a PDU of `type`; throws the
    /// termination for a field no valid PDU carries.
    static func decode(_ type: PDUType, _ header: UnsafeRawBufferPointer) throws(Termination) -> PDUHeader {
        switch type {
        case .icReq, .icResp:
            let digests = header[11]
            var parameters = ConnectionParameters(headerDigest: digests & 1 != 0, dataDigest: digests & 2 != 0,
                                                  limit: header.loadLittle(at: 12), dataAlignment: header[10])
            parameters.formatVersion = header.loadLittle(at: 8)
            guard parameters.formatVersion == 0 else { throw Termination(.unsupportedParameter, field: 8, .unsupportedVersion) }
            guard parameters.dataAlignment <= 31 else { throw Termination(.invalidHeaderField, field: 10, .dataAlignmentInvalid) }
            guard digests & ~3 == 0 else { throw Termination(.invalidHeaderField, field: 11, .reservedFlags) }
            if type == .icReq {
                guard parameters.limit <= 0xFFFF else { throw Termination(.invalidHeaderField, field: 12, .maximumR2TInvalid) }
                return .icReq(parameters)
            }
            guard parameters.limit >= 4096, parameters.limit % 4 == 0 else { throw Termination(.invalidHeaderField, field: 12, .maximumDataInvalid) }
            return .icResp(parameters)
        case .h2cTermReq:
            return .h2cTermReq(status: header.loadLittle(at: 8), field: header.loadLittle(at: 10))
        case .c2hTermReq:
            return .c2hTermReq(status: header.loadLittle(at: 8), field: header.loadLittle(at: 10))
        case .capsuleCmd:
            return .capsuleCmd(SubmissionEntry(UnsafeRawBufferPointer(rebasing: header[8..<72])))
        case .capsuleResp:
            return .capsuleResp(CompletionEntry(UnsafeRawBufferPointer(rebasing: header[8..<24])))
        case .h2cData, .c2hData, .r2t:
            let data = DataTransferHeader(commandID: header.loadLittle(at: 8), transferTag: header.loadLittle(at: 10),
                                          offset: header.loadLittle(at: 12), length: header.loadLittle(at: 16))
            if type == .r2t {
                guard data.length > 0 else { throw Termination(.invalidHeaderField, field: 16, .dataOutOfRange) }
                return .r2t(data)
            }
            return type == .h2cData ? .h2cData(data) : .c2hData(data)
        }
    }
}
