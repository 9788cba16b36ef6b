/// A namespace in this process's memory (`--ram MIB`): nothing outlives the process, so writes are
/// complete when copied.
public final class MemoryNamespace: NamespaceStorage, @unchecked Sendable {
    public let blockSize: Int
    public let byteCount: Int
    public var hasVolatileWriteCache: Bool { false }
    public var persistenceDomain: String { "none (RAM: lost when the target stops)" }
    private let memory: UnsafeMutableRawBufferPointer

    /// A zeroed namespace of `byteCount` bytes (rounded down to whole blocks).
    public init(byteCount: Int, blockSize: Int = 4096) {
        self.blockSize = blockSize
        self.byteCount = byteCount / blockSize * blockSize
        memory = .allocate(byteCount: max(self.byteCount, 1), alignment: 4096)
        memory.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit { memory.deallocate() }

    public func mappedBytes(_ range: Range<Int>) -> UnsafeMutableRawBufferPointer? { UnsafeMutableRawBufferPointer(rebasing: memory[range]) }
    public func read(_ range: Range<Int>, into destination: UnsafeMutableRawBufferPointer) { readMapped(range, into: destination) }
    public func write(_ source: UnsafeRawBufferPointer, at offset: Int) { writeMapped(source, at: offset) }
    public func makeDurable(_ range: Range<Int>) {}
    public func flush() {}
    public func zero(_ range: Range<Int>) { mappedBytes(range)!.initializeMemory(as: UInt8.self, repeating: 0) }
}
