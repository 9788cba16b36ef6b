#if canImport(Glibc)
import Glibc
#endif

/// Why a pcap file could not be opened or written.
public enum PcapWriterError: Error, Equatable {
    /// `open(2)` failed with this errno.
    case openFailed(Int32)
    /// `write(2)` failed with this errno; the frames buffered at the time were lost.
    case writeFailed(Int32)
}

/// Writes Ethernet frames to a classic pcap file (nanosecond-resolution magic 0xa1b23c4d, version 2.4,
/// LINKTYPE_ETHERNET) that tcpdump, Wireshark and tshark read.
///
/// Contract:
/// - Records go to a preallocated buffer and reach the file when it fills, on `flush()`, `close()` or
///   deinit (which ignores errors); `write` never allocates.
/// - Frames longer than `snapshotLength` are truncated; the record keeps their original length.
/// - Timestamps are nanoseconds since the Unix epoch: from the `TimeSource` if one was given (virtual
///   or monotonic time then appears as an offset from 1970), from `CLOCK_REALTIME` otherwise.
/// - A failed write loses the buffered records (counted in `lostFrames`); the next `flush()` or
///   `close()` throws the error. After `close()`, `write` only counts lost frames.
/// - One thread at a time.
public final class PcapWriter {
    public static let nanosecondMagic: UInt32 = 0xa1b2_3c4d
    public static let linkTypeEthernet: UInt32 = 1
    public static let fileHeaderLength = 24
    public static let recordHeaderLength = 16

    public let snapshotLength: Int
    public private(set) var recordedFrames: UInt64 = 0
    public private(set) var lostFrames: UInt64 = 0
    private let timeSource: (any TimeSource)?
    private var descriptor: Int32
    private let buffer: UnsafeMutableRawPointer
    private let bufferCapacity: Int
    private var bufferedBytes = 0
    private var bufferedFrames: UInt64 = 0
    private var pendingError: PcapWriterError?

    /// Creates (or truncates) the file at `path`; the file header is buffered like a record.
    public init(path: String, snapshotLength: Int = 262_144, timeSource: (any TimeSource)? = nil,
                bufferCapacity: Int = 1 << 20) throws(PcapWriterError) {
        precondition(snapshotLength > 0, "the snapshot length must be positive")
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .openFailed(errno) }
        self.descriptor = descriptor
        self.snapshotLength = snapshotLength
        self.timeSource = timeSource
        self.bufferCapacity = max(bufferCapacity, PcapWriter.fileHeaderLength, PcapWriter.recordHeaderLength + snapshotLength)
        buffer = .allocate(byteCount: self.bufferCapacity, alignment: 8)
        let header = buffer
        header.storeBytes(of: PcapWriter.nanosecondMagic, toByteOffset: 0, as: UInt32.self)
        header.storeBytes(of: UInt16(2), toByteOffset: 4, as: UInt16.self)
        header.storeBytes(of: UInt16(4), toByteOffset: 6, as: UInt16.self)
        header.storeBytes(of: Int32(0), toByteOffset: 8, as: Int32.self)
        header.storeBytes(of: UInt32(0), toByteOffset: 12, as: UInt32.self)
        header.storeBytes(of: UInt32(snapshotLength), toByteOffset: 16, as: UInt32.self)
        header.storeBytes(of: PcapWriter.linkTypeEthernet, toByteOffset: 20, as: UInt32.self)
        bufferedBytes = PcapWriter.fileHeaderLength
    }

    deinit {
        try? close()
        buffer.deallocate()
    }

    /// The time a record written now would carry, in nanoseconds since the epoch.
    public func timestamp() -> UInt64 {
        if let timeSource { return timeSource.now() }
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    /// Appends one record with the frame's bytes, stamped `timestampNanoseconds`.
    public func write(_ frame: UnsafeRawBufferPointer, timestampNanoseconds: UInt64) {
        guard descriptor >= 0 else {
            lostFrames &+= 1
            return
        }
        let captured = min(frame.count, snapshotLength)
        if bufferedBytes &+ PcapWriter.recordHeaderLength &+ captured > bufferCapacity { writeBuffer() }
        let record = buffer + bufferedBytes
        record.storeBytes(of: UInt32(truncatingIfNeeded: timestampNanoseconds / 1_000_000_000), toByteOffset: 0, as: UInt32.self)
        record.storeBytes(of: UInt32(truncatingIfNeeded: timestampNanoseconds % 1_000_000_000), toByteOffset: 4, as: UInt32.self)
        record.storeBytes(of: UInt32(truncatingIfNeeded: captured), toByteOffset: 8, as: UInt32.self)
        record.storeBytes(of: UInt32(truncatingIfNeeded: frame.count), toByteOffset: 12, as: UInt32.self)
        if let base = frame.baseAddress, captured > 0 {
            (record + PcapWriter.recordHeaderLength).copyMemory(from: base, byteCount: captured)
        }
        bufferedBytes &+= PcapWriter.recordHeaderLength &+ captured
        bufferedFrames &+= 1
    }

    /// Appends one record stamped with the current `timestamp()`.
    public func write(_ frame: UnsafeRawBufferPointer) {
        write(frame, timestampNanoseconds: timestamp())
    }

    /// Writes everything buffered to the file; throws the first write error since the last call.
    public func flush() throws(PcapWriterError) {
        writeBuffer()
        if let error = pendingError {
            pendingError = nil
            throw error
        }
    }

    /// Flushes and closes the file. Later calls do nothing.
    public func close() throws(PcapWriterError) {
        guard descriptor >= 0 else { return }
        defer {
            Glibc.close(descriptor)
            descriptor = -1
        }
        try flush()
    }

    /// Moves the buffer to the file; on failure the buffered records are counted lost.
    private func writeBuffer() {
        var written = 0
        while written < bufferedBytes {
            let result = Glibc.write(descriptor, buffer + written, bufferedBytes - written)
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else {
                pendingError = pendingError ?? .writeFailed(result < 0 ? errno : EIO)
                lostFrames &+= bufferedFrames
                break
            }
            written += result
        }
        recordedFrames &+= written == bufferedBytes ? bufferedFrames : 0
        bufferedBytes = 0
        bufferedFrames = 0
    }
}
