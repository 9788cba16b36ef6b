/// What Identify reports about a controller of the target.
public struct ControllerIdentity: Sendable {
    public var controllerID: UInt16
    public var subsystemNQN: String
    public var serialNumber: String
    public var isDiscovery: Bool
    public var namespaceCount: UInt32
    public var maximumQueueEntries: Int
    /// Maximum data transfer size as a power of two of 4 KiB pages.
    public var maximumTransferExponent: UInt8
    public var inCapsuleDataBytes: Int
    public var volatileWriteCache: Bool

    /// The 4096-byte Identify Controller data structure (CNS 01h).
    public func encoded() -> [UInt8] {
        var data = [UInt8](repeating: 0, count: 4096)
        data.storeLittle(UInt16(0x1AF4), at: 0)  // VID
        data.storeLittle(UInt16(0x1AF4), at: 2)  // SSVID
        data.storeText(serialNumber, at: 4, width: 20, pad: 0x20)
        data.storeText(isDiscovery ? "FlexNVMe discovery" : "FlexNVMe", at: 24, width: 40, pad: 0x20)
        data.storeText("0.1", at: 64, width: 8, pad: 0x20)
        data[72] = 6  // RAB
        data[77] = isDiscovery ? 0 : maximumTransferExponent
        data.storeLittle(controllerID, at: 78)
        data.storeLittle(ControllerProperty.versionValue, at: 80)
        data.storeLittle(UInt32(isDiscovery ? 0 : 1 << 8), at: 92)  // OAES: namespace attribute notices
        data[111] = isDiscovery ? 2 : 1  // CNTRLTYPE
        data[259] = 3  // AERL (0's based)
        data[261] = 0x04  // LPA: extended data for Get Log Page
        data[262] = 0  // ELPE
        data.storeLittle(UInt16(100), at: 320)  // KAS: keep-alive granularity of 100 ms
        if !isDiscovery {
            data[512] = 0x66  // SQES
            data[513] = 0x44  // CQES
        }
        data.storeLittle(UInt16(maximumQueueEntries), at: 514)  // MAXCMD
        data.storeLittle(namespaceCount, at: 516)
        data.storeLittle(UInt16(isDiscovery ? 0 : 0x0C), at: 520)  // ONCS: DSM, Write Zeroes
        data[525] = volatileWriteCache ? 1 : 0
        data.storeLittle(UInt32(0x0010_0005), at: 536)  // SGLS: SGLs, keyed no, offsets; transport data blocks
        data.storeText(subsystemNQN, at: 768, width: 256)
        data.storeLittle(UInt32((inCapsuleDataBytes + SubmissionEntry.size) / 16), at: 1792)  // IOCCSZ
        data.storeLittle(UInt32(CompletionEntry.size / 16), at: 1796)  // IORCSZ
        data[1802] = 0  // FCATT: dynamic controller model
        data[1803] = 1  // MSDBD
        return data
    }
}

/// What Identify reports about namespace 1.
public struct NamespaceIdentity: Sendable {
    public var blockCount: UInt64
    public var blockSize: Int
    /// A stable 16-byte globally unique identifier.
    public var guid: [UInt8]

    /// The 4096-byte Identify Namespace data structure (CNS 00h).
    public func encoded() -> [UInt8] {
        var data = [UInt8](repeating: 0, count: 4096)
        data.storeLittle(blockCount, at: 0)  // NSZE
        data.storeLittle(blockCount, at: 8)  // NCAP
        data.storeLittle(blockCount, at: 16)  // NUSE
        data[24] = 0  // NSFEAT
        data[25] = 0  // NLBAF: one format
        data[26] = 0  // FLBAS: format 0
        data[33] = 0x09  // DLFEAT: deallocated blocks read as zeros, Write Zeroes may deallocate
        for index in 0..<16 { data[104 + index] = guid[index] }  // NGUID
        data[128 + 2] = UInt8(blockSize.trailingZeroBitCount)  // LBAF0.LBADS
        return data
    }

    /// The Namespace Identification Descriptor list (CNS 03h): the NGUID.
    public func descriptors() -> [UInt8] {
        var data = [UInt8](repeating: 0, count: 4096)
        data[0] = 2  // NIDT: NGUID
        data[1] = 16
        for index in 0..<16 { data[4 + index] = guid[index] }
        return data
    }
}

/// The Active Namespace ID list (CNS 02h) of namespaces above `after`: ours is namespace 1 only.
func activeNamespaceList(after: UInt32) -> [UInt8] {
    var data = [UInt8](repeating: 0, count: 4096)
    if after < 1 { data.storeLittle(UInt32(1), at: 0) }
    return data
}
