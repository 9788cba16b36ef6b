/// Writes one reply straight into space a `ByteBuffer` reserved for it (`ByteBuffer.write`): the
/// buffer's room is checked once for the whole reply, not once per piece.
///
/// Contract: made only by `ByteBuffer.write(maximumCount:_:)`; the body writes at most the
/// `maximumCount` bytes it was given (the caller bounds the pieces it puts).
struct ReplyWriter {
    private(set) var cursor: UnsafeMutableRawPointer

    fileprivate init(cursor: UnsafeMutableRawPointer) { self.cursor = cursor }

    /// Writes a literal's UTF-8 bytes.
    @inline(__always)
    mutating func put(_ text: StaticString) {
        cursor.copyMemory(from: text.utf8Start, byteCount: text.utf8CodeUnitCount)
        cursor += text.utf8CodeUnitCount
    }

    /// Writes `bytes`.
    @inline(__always)
    mutating func put(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        cursor.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        cursor += bytes.count
    }

    /// Writes `value` in decimal (at most 20 bytes).
    @inline(__always)
    mutating func put(decimal value: UInt64) {
        var digits = DecimalDigits(value)
        digits.withBytes { put($0) }
    }
}

extension ByteBuffer {
    /// Reserves `maximumCount` bytes, lets `body` write a reply into them and makes what it wrote readable.
    @inline(__always)
    func write(maximumCount: Int, _ body: (inout ReplyWriter) -> Void) {
        let start = reserve(maximumCount).baseAddress!
        var writer = ReplyWriter(cursor: start)
        body(&writer)
        commit(writer.cursor - start)
    }
}
