/// The PDU types of the NVMe/TCP transport binding (the common header's first byte).
public enum PDUType: UInt8, Sendable, CaseIterable {
    case icReq = 0x00
    case icResp = 0x01
    case h2cTermReq = 0x02
    case c2hTermReq = 0x03
    case capsuleCmd = 0x04
    case capsuleResp = 0x05
    case h2cData = 0x06
    case c2hData = 0x07
    case r2t = 0x09

    /// The fixed header length (HLEN) of this type, common header included.
    public var headerLength: Int {
        switch self {
        case .icReq, .icResp: 128
        case .h2cTermReq, .c2hTermReq: 24
        case .capsuleCmd: 72
        case .capsuleResp, .h2cData, .c2hData, .r2t: 24
        }
    }

    /// Whether a host sends this type (else a controller does).
    public var isHostToController: Bool {
        switch self {
        case .icReq, .h2cTermReq, .capsuleCmd, .h2cData: true
        default: false
        }
    }

    /// Whether a PDU of this type may carry data after its header.
    public var mayCarryData: Bool {
        switch self {
        case .capsuleCmd, .h2cData, .c2hData, .h2cTermReq, .c2hTermReq: true
        default: false
        }
    }

    /// Whether header and data digests apply to this type (not to connection setup and termination).
    public var usesDigests: Bool {
        switch self {
        case .icReq, .icResp, .h2cTermReq, .c2hTermReq: false
        default: true
        }
    }
}

/// The common header's FLAGS bits.
public enum PDUFlags {
    /// HDGSTF: a header digest follows the header.
    public static let headerDigest: UInt8 = 0x01
    /// DDGSTF: a data digest follows the data.
    public static let dataDigest: UInt8 = 0x02
    /// LAST_PDU of H2CData / C2HData: the last data PDU of the command or R2T.
    public static let lastPDU: UInt8 = 0x04
    /// SUCCESS of C2HData: the command completed successfully, no CapsuleResp follows.
    public static let success: UInt8 = 0x08
}
