/// Room for one PDU that `OutboundBuffer.append` handed out: its bytes in at most two contiguous
/// pieces — one piece of the buffer's own storage, or a transport's transmit ring that wraps.
///
/// Contract: a view, valid until the transport sends the bytes (see `OutboundBuffer`); the methods
/// never touch bytes outside the two pieces (offsets are checked by the caller, `PDUWriter`).
struct PDUSpace {
    let first: UnsafeMutableRawBufferPointer
    let second: UnsafeMutableRawBufferPointer

    /// The space of `first` then `second`; when `first` is empty, `second` becomes the first piece.
    init(_ first: UnsafeMutableRawBufferPointer, _ second: UnsafeMutableRawBufferPointer = Self.none) {
        (self.first, self.second) = first.isEmpty ? (second, Self.none) : (first, second)
    }

    static var none: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: nil, count: 0) }
    /// No bytes.
    static var empty: PDUSpace { PDUSpace(none) }

    var count: Int { first.count + second.count }

    /// The bytes of `range` (offsets into the space).
    func slice(_ range: Range<Int>) -> PDUSpace {
        let split = first.count
        let lower = min(range.lowerBound, split), upper = min(range.upperBound, split)
        return PDUSpace(UnsafeMutableRawBufferPointer(rebasing: first[lower..<upper]),
                        UnsafeMutableRawBufferPointer(rebasing: second[max(0, range.lowerBound - split)..<max(0, range.upperBound - split)]))
    }

    /// Calls `body` with the bytes of `range` (offsets into the space) as one or two contiguous pieces,
    /// each with its offset from `range.lowerBound`.
    func forEachPiece(_ range: Range<Int>, _ body: (UnsafeMutableRawBufferPointer, Int) -> Void) {
        let split = first.count
        if range.lowerBound < split {
            body(UnsafeMutableRawBufferPointer(rebasing: first[range.lowerBound..<min(range.upperBound, split)]), 0)
        }
        if range.upperBound > split {
            let start = max(range.lowerBound, split)
            body(UnsafeMutableRawBufferPointer(rebasing: second[(start - split)..<(range.upperBound - split)]), start - range.lowerBound)
        }
    }

    /// Copies `bytes` into the space at `offset`.
    func store(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        forEachPiece(offset..<(offset + bytes.count)) { piece, from in
            piece.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[from..<(from + piece.count)]))
        }
    }
}
