/// One connection's outgoing seeded stream as `flextcp send` produces it: the bytes of
/// `SeededByteStream(seed:)` up to `length`, hashed as they are handed out.
///
/// Contract: `fill` hands out the next bytes (at most `remaining`) and counts them as sent; `report`
/// is the finished stream's line once `remaining` is 0.
public struct SentStream: Sendable {
    public let length: UInt64
    private var stream: SeededByteStream
    private var hash = SHA256()
    public private(set) var sent: UInt64 = 0

    public init(seed: UInt64, length: UInt64) {
        stream = SeededByteStream(seed: seed)
        self.length = length
    }

    public var remaining: UInt64 { length - sent }

    /// Writes the next `min(buffer.count, remaining)` bytes into `buffer`; returns how many.
    public mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        let count = Int(min(UInt64(buffer.count), remaining))
        guard count > 0 else { return 0 }
        let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
        stream.fill(chunk)
        hash.update(UnsafeRawBufferPointer(chunk))
        sent &+= UInt64(count)
        return count
    }

    /// The stream's report under `label` (its SHA-256 over the bytes handed out).
    public func report(label: String) -> StreamReport {
        var hash = hash
        return StreamReport(label: label, bytes: sent, sha256: hash.hexDigest())
    }
}

/// Checks an echoed stream against the seeded stream that was sent, chunk by chunk.
///
/// Contract: `check` compares the next received bytes with the stream (seed `seed`, `length`
/// bytes); the first difference, or a byte beyond `length`, is a failure; `isComplete` once all
/// `length` bytes came back equal.
public struct EchoCheck: Sendable {
    public let length: UInt64
    private var expected: SeededByteStream
    private var buffer: [UInt8] = []
    public private(set) var echoed: UInt64 = 0

    public init(seed: UInt64, length: UInt64) {
        expected = SeededByteStream(seed: seed)
        self.length = length
    }

    public var isComplete: Bool { echoed == length }

    /// Compares `bytes` with the stream's next bytes; returns the failure, if any.
    public mutating func check(_ bytes: UnsafeRawBufferPointer) -> SendFailure? {
        guard !bytes.isEmpty else { return nil }
        guard echoed &+ UInt64(bytes.count) <= length else { return .echoMismatch(offset: length) }
        if buffer.count < bytes.count { buffer = [UInt8](repeating: 0, count: bytes.count) }
        let differs: Int? = buffer.withUnsafeMutableBytes { storage in
            let expectedBytes = UnsafeMutableRawBufferPointer(rebasing: storage[0..<bytes.count])
            expected.fill(expectedBytes)
            return (0..<bytes.count).first { bytes[$0] != expectedBytes[$0] }
        }
        if let differs { return .echoMismatch(offset: echoed + UInt64(differs)) }
        echoed &+= UInt64(bytes.count)
        return nil
    }
}
