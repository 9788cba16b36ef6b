import FlexWire

/// Received bytes lent by a transport, in at most two contiguous pieces (a receive ring that wraps,
/// or one piece of a socket buffer), read in place and advanced as the reader consumes them.
public struct InputBytes {
    public private(set) var first: UnsafeRawBufferPointer
    public private(set) var second: UnsafeRawBufferPointer
    /// Bytes consumed since the transport lent these.
    public private(set) var consumed = 0

    public init(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) {
        self.first = first
        self.second = second
    }

    public var count: Int { first.count + second.count }

    /// Drops the first `byteCount` bytes (at most `count`).
    mutating func advance(_ byteCount: Int) {
        let fromFirst = min(byteCount, first.count)
        first = UnsafeRawBufferPointer(rebasing: first[fromFirst...])
        if fromFirst < byteCount { second = UnsafeRawBufferPointer(rebasing: second[(byteCount - fromFirst)...]) }
        if first.isEmpty && !second.isEmpty { first = second; second = UnsafeRawBufferPointer(start: nil, count: 0) }
        consumed += byteCount
    }

    /// Calls `body` with the first `byteCount` bytes (at most `count`) as one or two contiguous pieces.
    func forEachPiece(_ byteCount: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
        let fromFirst = min(byteCount, first.count)
        if fromFirst > 0 { body(UnsafeRawBufferPointer(rebasing: first[..<fromFirst])) }
        if fromFirst < byteCount { body(UnsafeRawBufferPointer(rebasing: second[..<(byteCount - fromFirst)])) }
    }

    /// Copies the first `byteCount` bytes (at most `count`) to `destination`.
    func copy(_ byteCount: Int, to destination: UnsafeMutableRawPointer) {
        var offset = 0
        forEachPiece(byteCount) { piece in
            (destination + offset).copyMemory(from: piece.baseAddress!, byteCount: piece.count)
            offset += piece.count
        }
    }

    /// `state` updated with the CRC32C of the first `byteCount` bytes (at most `count`).
    func crc(_ state: UInt32, _ byteCount: Int) -> UInt32 {
        var state = state
        forEachPiece(byteCount) { state = CRC32C.update(state, $0) }
        return state
    }
}
