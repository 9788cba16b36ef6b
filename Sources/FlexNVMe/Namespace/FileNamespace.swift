#if canImport(Glibc)
import Glibc
#endif

/// A namespace on a regular file or block device (`--file PATH`), written with pwrite: completed
/// writes sit in the kernel's page cache until a Flush (fdatasync), so the controller reports a
/// volatile write cache.
public final class FileNamespace: NamespaceStorage, @unchecked Sendable {
    public let blockSize: Int
    public let byteCount: Int
    public var hasVolatileWriteCache: Bool { true }
    public var persistenceDomain: String { "the file's device after a Flush (fdatasync); completed writes before it are in the page cache" }
    private let descriptor: Int32

    /// Opens (creating if needed) `path`; a new or shorter file is extended to `minimumBytes`.
    public init(path: String, minimumBytes: Int, blockSize: Int = 4096) throws(NamespaceError) {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw NamespaceError("cannot open \(path): \(String(cString: strerror(errno)))") }
        self.blockSize = blockSize
        self.byteCount = try Self.prepareSize(descriptor, path: path, minimumBytes: minimumBytes, blockSize: blockSize)
    }

    deinit { close(descriptor) }

    /// Extends the file to at least `minimumBytes`; returns its size in whole blocks.
    static func prepareSize(_ descriptor: Int32, path: String, minimumBytes: Int, blockSize: Int) throws(NamespaceError) -> Int {
        var size = Int(lseek(descriptor, 0, SEEK_END))
        if size < minimumBytes {
            guard ftruncate(descriptor, off_t(minimumBytes)) == 0 else { throw NamespaceError("cannot size \(path): \(String(cString: strerror(errno)))") }
            size = minimumBytes
        }
        guard size >= blockSize else { throw NamespaceError("\(path) is smaller than one \(blockSize)-byte block") }
        return size / blockSize * blockSize
    }

    public func mappedBytes(_ range: Range<Int>) -> UnsafeMutableRawBufferPointer? { nil }

    public func read(_ range: Range<Int>, into destination: UnsafeMutableRawBufferPointer) throws(NamespaceError) {
        var done = 0
        while done < range.count {
            let got = pread(descriptor, destination.baseAddress! + done, range.count - done, off_t(range.lowerBound + done))
            guard got > 0 else { throw NamespaceError("read failed: \(String(cString: strerror(errno)))") }
            done += got
        }
    }

    public func write(_ source: UnsafeRawBufferPointer, at offset: Int) throws(NamespaceError) {
        var done = 0
        while done < source.count {
            let put = pwrite(descriptor, source.baseAddress! + done, source.count - done, off_t(offset + done))
            guard put > 0 else { throw NamespaceError("write failed: \(String(cString: strerror(errno)))") }
            done += put
        }
    }

    public func makeDurable(_ range: Range<Int>) {}

    public func flush() throws(NamespaceError) {
        guard fdatasync(descriptor) == 0 else { throw NamespaceError("fdatasync failed: \(String(cString: strerror(errno)))") }
    }

    public func zero(_ range: Range<Int>) throws(NamespaceError) {
        let zeros = UnsafeMutableRawBufferPointer.allocate(byteCount: min(range.count, 1 << 20), alignment: 4096)
        defer { zeros.deallocate() }
        zeros.initializeMemory(as: UInt8.self, repeating: 0)
        var offset = range.lowerBound
        while offset < range.upperBound {
            let length = min(zeros.count, range.upperBound - offset)
            try write(UnsafeRawBufferPointer(rebasing: zeros[..<length]), at: offset)
            offset += length
        }
    }
}
