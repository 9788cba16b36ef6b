#if canImport(Glibc)
import Glibc
#endif

/// The persistent-memory namespace (`--pmem PATH`): a file mapped shared into memory, into which
/// write data is placed straight from the receive buffer or ring (PASTE's durable zero-copy write).
///
/// Persistence domain: this machine has no persistent memory, so a write is made durable by
/// `msync(MS_SYNC)` of the pages it touched before its completion is sent — the data is then on the
/// file's device (the page cache written back). On a DAX mapping of real persistent memory the same
/// contract would be met by flushing the written cache lines and a store fence; that path is not built.
public final class PersistentMemoryNamespace: NamespaceStorage, @unchecked Sendable {
    public let blockSize: Int
    public let byteCount: Int
    public var hasVolatileWriteCache: Bool { false }
    public var persistenceDomain: String { "the file's device: msync(MS_SYNC) of the written pages before each write's completion" }
    private let descriptor: Int32
    private let mapping: UnsafeMutableRawPointer
    private let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Maps `path` (created and extended to `minimumBytes` if shorter).
    public init(path: String, minimumBytes: Int, blockSize: Int = 4096) throws(NamespaceError) {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw NamespaceError("cannot open \(path): \(String(cString: strerror(errno)))") }
        self.blockSize = blockSize
        let size: Int
        do {
            size = try FileNamespace.prepareSize(descriptor, path: path, minimumBytes: minimumBytes, blockSize: blockSize)
        } catch {
            close(descriptor)
            throw error
        }
        byteCount = size
        guard let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0), mapped != MAP_FAILED else {
            close(descriptor)
            throw NamespaceError("cannot map \(path): \(String(cString: strerror(errno)))")
        }
        mapping = mapped
    }

    deinit {
        munmap(mapping, byteCount)
        close(descriptor)
    }

    public func mappedBytes(_ range: Range<Int>) -> UnsafeMutableRawBufferPointer? {
        UnsafeMutableRawBufferPointer(start: mapping + range.lowerBound, count: range.count)
    }

    public func read(_ range: Range<Int>, into destination: UnsafeMutableRawBufferPointer) { readMapped(range, into: destination) }
    public func write(_ source: UnsafeRawBufferPointer, at offset: Int) { writeMapped(source, at: offset) }

    public func makeDurable(_ range: Range<Int>) throws(NamespaceError) {
        guard !range.isEmpty else { return }
        let start = range.lowerBound / pageSize * pageSize
        guard msync(mapping + start, range.upperBound - start, MS_SYNC) == 0 else {
            throw NamespaceError("msync failed: \(String(cString: strerror(errno)))")
        }
    }

    public func flush() throws(NamespaceError) { try makeDurable(0..<byteCount) }

    public func zero(_ range: Range<Int>) throws(NamespaceError) {
        mappedBytes(range)!.initializeMemory(as: UInt8.self, repeating: 0)
        try makeDurable(range)
    }
}
