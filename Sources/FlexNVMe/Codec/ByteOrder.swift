/// Little-endian loads and stores at byte offsets of raw memory, as NVMe and NVMe/TCP lay out every
/// multi-byte field. Offsets are the caller's to keep inside the buffer (the codec checks lengths first).
extension UnsafeRawBufferPointer {
    /// The little-endian integer of type `T` at `offset`.
    @inlinable
    func loadLittle<T: FixedWidthInteger>(_: T.Type = T.self, at offset: Int) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    /// The little-endian integer of type `T` at `offset`.
    @inlinable
    func loadLittle<T: FixedWidthInteger>(_: T.Type = T.self, at offset: Int) -> T {
        UnsafeRawBufferPointer(self).loadLittle(at: offset)
    }

    /// Stores `value` little-endian at `offset`.
    @inlinable
    func storeLittle<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }
}

extension Array where Element == UInt8 {
    /// The little-endian integer of type `T` at `offset` (must lie inside the array).
    func loadLittle<T: FixedWidthInteger>(_: T.Type = T.self, at offset: Int) -> T {
        withUnsafeBytes { $0.loadLittle(at: offset) }
    }

    /// Stores `value` little-endian at `offset` (must lie inside the array).
    mutating func storeLittle<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeMutableBytes { $0.storeLittle(value, at: offset) }
    }

    /// Stores `text`'s UTF-8 bytes at `offset`, padded with `pad` up to `width` bytes (cut at `width`).
    mutating func storeText(_ text: String, at offset: Int, width: Int, pad: UInt8 = 0) {
        let bytes = Array(text.utf8.prefix(width))
        for index in 0..<width { self[offset + index] = index < bytes.count ? bytes[index] : pad }
    }

    /// The text at `offset` up to the first NUL or `width` bytes, with trailing spaces removed.
    public func text(at offset: Int, width: Int) -> String {
        let field = self[offset..<(offset + width)]
        let end = field.firstIndex(of: 0) ?? field.endIndex
        return String(decoding: field[field.startIndex..<end], as: UTF8.self).trimmingSuffixSpaces()
    }
}

extension String {
    /// The string without trailing spaces (identify strings are space-padded).
    func trimmingSuffixSpaces() -> String {
        var text = Substring(self)
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}
