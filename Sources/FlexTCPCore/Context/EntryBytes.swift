/// Little-endian field access to one queue entry in memory another party may write concurrently.
///
/// Contract: `base` points at `ContextQueueKind.entrySize` readable (and, for writers, writable)
/// bytes; offsets come from `ContextQueueLayout`. Readers load each field once, so a value checked
/// is the value used.
@usableFromInline
struct EntryBytes {
    @usableFromInline let base: UnsafeMutableRawPointer

    @inlinable init(_ base: UnsafeMutableRawPointer) { self.base = base }

    @inlinable func byte(at offset: Int) -> UInt8 { base.load(fromByteOffset: offset, as: UInt8.self) }
    @inlinable func short(at offset: Int) -> UInt16 { UInt16(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) }
    @inlinable func word(at offset: Int) -> UInt32 { UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    @inlinable func doubleWord(at offset: Int) -> UInt64 { UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }

    @inlinable func setByte(_ value: UInt8, at offset: Int) { base.storeBytes(of: value, toByteOffset: offset, as: UInt8.self) }
    @inlinable func setShort(_ value: UInt16, at offset: Int) { base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt16.self) }
    @inlinable func setWord(_ value: UInt32, at offset: Int) { base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self) }
    @inlinable func setDoubleWord(_ value: UInt64, at offset: Int) { base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self) }

    /// Zeroes `size` bytes (all reserved fields), then writes the type, the version and the three
    /// common fields (`ContextQueueLayout.shortFieldOffset`, `wordFieldOffset`, `opaqueOffset`).
    @inlinable
    func begin(type: UInt8, size: Int, short: UInt16 = 0, word: UInt32 = 0, opaque: UInt64 = 0) {
        base.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        setByte(type, at: ContextQueueLayout.entryTypeOffset)
        setByte(ContextQueueLayout.entryVersion, at: ContextQueueLayout.entryVersionOffset)
        setShort(short, at: ContextQueueLayout.shortFieldOffset)
        setWord(word, at: ContextQueueLayout.wordFieldOffset)
        setDoubleWord(opaque, at: ContextQueueLayout.opaqueOffset)
    }

    /// Checks the length and version and returns the type byte.
    @inlinable
    func header(length: Int, size: Int) throws(ContextEntryError) -> UInt8 {
        guard length == size else { throw .wrongLength(length) }
        let version = byte(at: ContextQueueLayout.entryVersionOffset)
        guard version == ContextQueueLayout.entryVersion else { throw .unsupportedVersion(version) }
        return byte(at: ContextQueueLayout.entryTypeOffset)
    }

    /// Throws unless every byte from `offset` to `end` is zero.
    @inlinable
    func requireZero(from offset: Int, to end: Int) throws(ContextEntryError) {
        var position = offset
        while position &+ 8 <= end {
            guard doubleWord(at: position) == 0 else { throw .reservedBytesNotZero }
            position &+= 8
        }
        while position < end {
            guard byte(at: position) == 0 else { throw .reservedBytesNotZero }
            position &+= 1
        }
    }

    /// The 16-bit field at 2 as a code of `Code`.
    @inlinable
    func code<Code: RawRepresentable<UInt16>>(_: Code.Type) throws(ContextEntryError) -> Code {
        let raw = short(at: ContextQueueLayout.shortFieldOffset)
        guard let code = Code(rawValue: raw) else { throw .unknownCode(raw) }
        return code
    }
}
