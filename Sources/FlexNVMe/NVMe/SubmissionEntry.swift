/// A 64-byte NVMe submission queue entry (a command), held inline without allocation; fields are
/// read and written little-endian at the NVMe base specification's offsets.
public struct SubmissionEntry: Sendable, Equatable {
    /// Bytes of an entry.
    public static let size = 64
    /// The raw entry.
    public var bytes = SIMD64<UInt8>()

    public init() {}

    /// The entry stored in the first 64 bytes of `raw`.
    init(_ raw: UnsafeRawBufferPointer) {
        withUnsafeMutableBytes(of: &bytes) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw.prefix(Self.size))) }
    }

    /// The little-endian integer at `offset`.
    public func field<T: FixedWidthInteger>(_: T.Type = T.self, at offset: Int) -> T {
        withUnsafeBytes(of: bytes) { $0.loadLittle(at: offset) }
    }

    /// Sets the little-endian integer at `offset`.
    public mutating func setField<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeMutableBytes(of: &bytes) { $0.storeLittle(value, at: offset) }
    }

    public var opcode: UInt8 { get { bytes[0] } set { bytes[0] = newValue } }
    /// FUSE and PSDT bits (PSDT 01b: SGLs, as NVMe/TCP requires).
    public var flags: UInt8 { get { bytes[1] } set { bytes[1] = newValue } }
    public var commandID: UInt16 { get { field(at: 2) } set { setField(newValue, at: 2) } }
    public var namespaceID: UInt32 { get { field(at: 4) } set { setField(newValue, at: 4) } }
    /// Fabrics commands: the FCTYPE byte (offset 4).
    public var fabricsType: UInt8 { bytes[4] }
    /// The SGL descriptor's address (offset within the capsule for in-capsule data).
    public var sglAddress: UInt64 { get { field(at: 24) } set { setField(newValue, at: 24) } }
    /// The SGL descriptor's length in bytes.
    public var sglLength: UInt32 { get { field(at: 32) } set { setField(newValue, at: 32) } }
    /// The SGL descriptor's type byte (type in bits 7:4, subtype in bits 3:0).
    public var sglType: UInt8 { get { bytes[39] } set { bytes[39] = newValue } }
    /// Command dword `n` (10...15).
    public func dword(_ n: Int) -> UInt32 { field(at: 4 * n) }
    /// Sets command dword `n` (2...15).
    public mutating func setDword(_ n: Int, _ value: UInt32) { setField(value, at: 4 * n) }
    /// The starting LBA of an I/O command (CDW10–11).
    public var startingLBA: UInt64 { get { field(at: 40) } set { setField(newValue, at: 40) } }
    /// The number of logical blocks of an I/O command (CDW12 bits 15:0, 0's based) plus one.
    public var blockCount: Int { Int(dword(12) & 0xFFFF) + 1 }

    /// SGL descriptor type byte: data block, offset subtype (in-capsule data).
    public static let sglInCapsule: UInt8 = 0x01
    /// SGL descriptor type byte: transport data block, transport-specific subtype A (data by R2T/C2HData).
    public static let sglTransport: UInt8 = 0x5A
    /// PSDT = 01b: the data pointer is an SGL.
    public static let flagsSGL: UInt8 = 0x40
}
