/// A namespace's storage: fixed-size logical blocks, read and written at byte offsets that the
/// target has checked against `byteCount`.
///
/// Contract: `mappedBytes` lends memory-backed storage for in-place placement (nil for storage that
/// is not in memory: then the target stages data and calls `write`). `makeDurable` returns once the
/// range survives a crash of this process in the namespace's `persistenceDomain` (a no-op where
/// nothing outlives the process). Methods may be called from several connection threads at once for
/// different ranges.
public protocol NamespaceStorage: AnyObject, Sendable {
    /// Bytes per logical block (a power of two, 512...4096).
    var blockSize: Int { get }
    /// Total bytes (a multiple of `blockSize`).
    var byteCount: Int { get }
    /// Whether completed writes may be lost without a Flush (Identify's volatile write cache).
    var hasVolatileWriteCache: Bool { get }
    /// Where a completed write is durable, in words (for the tool's report).
    var persistenceDomain: String { get }
    /// The storage of `range` as memory, if memory-backed.
    func mappedBytes(_ range: Range<Int>) -> UnsafeMutableRawBufferPointer?
    /// Copies `range` into `destination` (exactly `range.count` bytes).
    func read(_ range: Range<Int>, into destination: UnsafeMutableRawBufferPointer) throws(NamespaceError)
    /// Stores `source` at `offset`.
    func write(_ source: UnsafeRawBufferPointer, at offset: Int) throws(NamespaceError)
    /// Makes the bytes written to `range` durable (before their completion is sent).
    func makeDurable(_ range: Range<Int>) throws(NamespaceError)
    /// Makes everything written so far durable (the Flush command).
    func flush() throws(NamespaceError)
    /// Sets `range` to zeros (Write Zeroes, deallocation).
    func zero(_ range: Range<Int>) throws(NamespaceError)
}

/// A storage failure, with the system's words.
public struct NamespaceError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension NamespaceStorage {
    /// Blocks in the namespace.
    public var blockCount: UInt64 { UInt64(byteCount / blockSize) }

    /// The storage's default `read` for memory-backed namespaces.
    func readMapped(_ range: Range<Int>, into destination: UnsafeMutableRawBufferPointer) {
        destination.copyMemory(from: UnsafeRawBufferPointer(mappedBytes(range)!))
    }

    /// The storage's default `write` for memory-backed namespaces.
    func writeMapped(_ source: UnsafeRawBufferPointer, at offset: Int) {
        mappedBytes(offset..<(offset + source.count))!.copyMemory(from: source)
    }
}
