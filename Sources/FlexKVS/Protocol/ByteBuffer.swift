/// A growable byte buffer read from the front and written at the back: a connection's unparsed
/// input or unsent output.
///
/// Contract: `readable` stays valid until the next mutating call. Consumed space is reclaimed by
/// moving the unread bytes to the front when more room is needed; capacity grows by doubling and
/// never shrinks below its initial size (`shrink` gives back what one huge request needed).
public final class ByteBuffer {
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private let initialCapacity: Int
    private var readIndex = 0
    private var writeIndex = 0

    public init(capacity: Int = 16 * 1024) {
        initialCapacity = capacity
        self.capacity = capacity
        storage = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    /// Bytes written and not yet consumed.
    public var count: Int { writeIndex - readIndex }
    public var isEmpty: Bool { writeIndex == readIndex }

    /// The unread bytes.
    public var readable: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage + readIndex, count: count) }

    /// Drops `byteCount` bytes from the front.
    public func consume(_ byteCount: Int) {
        readIndex += min(byteCount, count)
        if readIndex == writeIndex {
            readIndex = 0
            writeIndex = 0
        }
    }

    /// Drops everything.
    public func removeAll() {
        readIndex = 0
        writeIndex = 0
    }

    /// Room for at least `byteCount` more bytes at the back; write into it, then `commit`.
    @inline(__always)
    public func reserve(_ byteCount: Int) -> UnsafeMutableRawBufferPointer {
        if capacity &- writeIndex < byteCount { makeRoom(for: byteCount) }
        return UnsafeMutableRawBufferPointer(start: storage + writeIndex, count: capacity &- writeIndex)
    }

    /// Moves the unread bytes to the front and, if that is not enough, grows the storage by
    /// doubling, until `byteCount` bytes fit at the back (the rare path of `reserve`).
    @inline(never)
    private func makeRoom(for byteCount: Int) {
        if readIndex > 0 {
            storage.copyMemory(from: storage + readIndex, byteCount: count)
            writeIndex -= readIndex
            readIndex = 0
        }
        guard capacity - writeIndex < byteCount else { return }
        var newCapacity = capacity
        while newCapacity - writeIndex < byteCount { newCapacity *= 2 }
        let grown = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        grown.copyMemory(from: storage, byteCount: writeIndex)
        storage.deallocate()
        storage = grown
        capacity = newCapacity
    }

    /// Makes `byteCount` bytes written into `reserve`'s space readable.
    public func commit(_ byteCount: Int) { writeIndex += byteCount }

    /// Returns memory beyond the initial capacity once the buffer is empty.
    public func shrink() {
        guard isEmpty, capacity > initialCapacity else { return }
        storage.deallocate()
        storage = .allocate(byteCount: initialCapacity, alignment: 16)
        capacity = initialCapacity
    }

    /// Appends raw bytes.
    @inline(__always)
    public func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        reserve(bytes.count).baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        commit(bytes.count)
    }

    /// Appends a literal's UTF-8 bytes.
    public func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends a `String`'s bytes (replies that are not on the hot path: stats, version).
    public func append(string: String) {
        var text = string
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// Appends `value` in decimal.
    public func append(decimal value: UInt64) {
        var digits = DecimalDigits(value)
        digits.withBytes { append($0) }
    }

    /// Appends the bytes of a value in up to two pieces.
    public func append(_ value: ValueBytes) {
        append(value.leading)
        append(value.trailing)
    }

    /// Appends a big-endian integer.
    public func append<Integer: FixedWidthInteger>(bigEndian value: Integer) {
        withUnsafeBytes(of: value.bigEndian) { append($0) }
    }

        /// Drops bytes appended after the buffer held `length` readable bytes (a reply abandoned halfway).
    public func truncate(toCount length: Int) { writeIndex = readIndex + min(length, count) }
}
