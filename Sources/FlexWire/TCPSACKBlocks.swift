/// One SACK block (RFC 2018): the peer holds the bytes from `leftEdge` up to, not including, `rightEdge`.
public struct TCPSACKBlock: Hashable, Sendable {
    public var leftEdge: SequenceNumber
    public var rightEdge: SequenceNumber

    @inlinable
    public init(leftEdge: SequenceNumber, rightEdge: SequenceNumber) {
        self.leftEdge = leftEdge
        self.rightEdge = rightEdge
    }
}

/// Up to four SACK blocks in fixed inline storage (a SACK option carries at most four).
///
/// Contract: never allocates; `append` returns false and changes nothing when four blocks are held.
/// Equality and hashing consider only the blocks held. Reading past `count` is a programming error.
public struct TCPSACKBlocks: RandomAccessCollection, Hashable, Sendable, ExpressibleByArrayLiteral {
    @inlinable public static var capacity: Int { 4 }

    @usableFromInline var storage: (TCPSACKBlock, TCPSACKBlock, TCPSACKBlock, TCPSACKBlock)
    @usableFromInline var heldCount: Int

    @inlinable
    public init() {
        let empty = TCPSACKBlock(leftEdge: SequenceNumber(0), rightEdge: SequenceNumber(0))
        storage = (empty, empty, empty, empty)
        heldCount = 0
    }

    /// The first four of `elements` (for tests and tools).
    public init(arrayLiteral elements: TCPSACKBlock...) {
        self.init()
        for block in elements.prefix(Self.capacity) { append(block) }
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { heldCount }

    @inlinable
    public subscript(position: Int) -> TCPSACKBlock {
        precondition(position >= 0 && position < heldCount, "SACK block index out of range")
        switch position {
        case 0: return storage.0
        case 1: return storage.1
        case 2: return storage.2
        default: return storage.3
        }
    }

    @inlinable
    @discardableResult
    public mutating func append(_ block: TCPSACKBlock) -> Bool {
        switch heldCount {
        case 0: storage.0 = block
        case 1: storage.1 = block
        case 2: storage.2 = block
        case 3: storage.3 = block
        default: return false
        }
        heldCount &+= 1
        return true
    }

    @inlinable
    public static func == (lhs: TCPSACKBlocks, rhs: TCPSACKBlocks) -> Bool { lhs.elementsEqual(rhs) }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for block in self { hasher.combine(block) }
    }
}
