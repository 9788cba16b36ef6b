/// The timestamps option (RFC 7323): the sender's clock and the echoed peer clock.
public struct TCPTimestamps: Hashable, Sendable {
    public var value: UInt32
    public var echoReply: UInt32

    @inlinable
    public init(value: UInt32, echoReply: UInt32) {
        self.value = value
        self.echoReply = echoReply
    }

    /// Bytes of the aligned layout: NOP, NOP, then the option (kind 8, length 10, value, echo reply).
    @inlinable public static var alignedLength: Int { 12 }
    /// The aligned layout's first word: NOP, NOP, kind 8, length 10.
    @inlinable static var alignedPrefix: UInt32 { 0x0101_080a }
    @inlinable static var alignedValueOffset: Int { 4 }
    @inlinable static var alignedEchoReplyOffset: Int { 8 }

    /// The timestamps when `count` option bytes at `options` are exactly NOP, NOP, timestamps — the
    /// RFC 7323 appendix A layout most stacks send on every segment after the handshake — and nil
    /// otherwise (walk the options). A fast-path shortcut like Linux's aligned-timestamp check.
    @inlinable
    public init?(alignedIn options: UnsafeRawPointer, count: Int) {
        guard count == Self.alignedLength, options.bigEndianUInt32(at: 0) == Self.alignedPrefix else { return nil }
        self.init(value: options.bigEndianUInt32(at: Self.alignedValueOffset),
                  echoReply: options.bigEndianUInt32(at: Self.alignedEchoReplyOffset))
    }

    /// Writes the aligned layout into the `alignedLength` bytes at `options` (which `init(alignedIn:count:)` reads).
    @inlinable
    public func storeAligned(to options: UnsafeMutableRawPointer) {
        options.storeBigEndian(Self.alignedPrefix, at: 0)
        options.storeBigEndian(value, at: Self.alignedValueOffset)
        options.storeBigEndian(echoReply, at: Self.alignedEchoReplyOffset)
    }
}

/// One TCP option as read from a header.
public enum TCPOption: Hashable, Sendable {
    case endOfList
    case noOperation
    case maximumSegmentSize(UInt16)
    /// The shift count as sent (RFC 7323 says to use 14 for larger values; that is the stack's job).
    case windowScale(UInt8)
    case sackPermitted
    case sackBlocks(TCPSACKBlocks)
    case timestamps(TCPTimestamps)
    /// An option FlexWire does not know, skipped by its length (which counts kind and length bytes).
    case unknown(kind: UInt8, length: UInt8)
}

/// Option kind numbers (IANA "TCP Option Kind Numbers").
@usableFromInline
enum TCPOptionKind {
    @inlinable static var endOfList: UInt8 { 0 }
    @inlinable static var noOperation: UInt8 { 1 }
    @inlinable static var maximumSegmentSize: UInt8 { 2 }
    @inlinable static var windowScale: UInt8 { 3 }
    @inlinable static var sackPermitted: UInt8 { 4 }
    @inlinable static var sackBlocks: UInt8 { 5 }
    @inlinable static var timestamps: UInt8 { 8 }
}

/// Walks the option bytes of a TCP header one option at a time, without allocating.
///
/// Contract: `next()` returns options in order and nil at the end; `.endOfList` is returned once and
/// ends the walk (the rest is padding). It throws `.optionOverrun` when an option's length byte or its
/// body runs past the end, `.optionLengthTooSmall` for a length below 2, and `.badOptionLength` for a
/// known option of the wrong size; after a throw the walk is over (`next()` returns nil).
public struct TCPOptionIterator {
    @usableFromInline let bytes: UnsafeRawPointer
    @usableFromInline let count: Int
    @usableFromInline var offset: Int

    /// Iterates over the `count` option bytes at `bytes` (the header after its fixed 20 bytes).
    @inlinable
    public init(bytes: UnsafeRawPointer, count: Int) {
        self.bytes = bytes
        self.count = count
        offset = 0
    }

    // Always inlined: a call per option doubled the cost of a walk (measured, -O, cross-module).
    @inlinable @inline(__always)
    public mutating func next() throws(WireError) -> TCPOption? {
        guard offset < count else { return nil }
        let kind = bytes.byte(at: offset)
        if kind == TCPOptionKind.endOfList {
            offset = count
            return .endOfList
        }
        if kind == TCPOptionKind.noOperation {
            offset &+= 1
            return .noOperation
        }
        guard count &- offset >= 2 else { throw stop(.optionOverrun(kind: kind)) }
        let length = Int(bytes.byte(at: offset &+ 1))
        guard length >= 2 else { throw stop(.optionLengthTooSmall(kind: kind)) }
        guard length <= count &- offset else { throw stop(.optionOverrun(kind: kind)) }
        let body = bytes + (offset &+ 2)
        offset &+= length
        switch kind {
        case TCPOptionKind.maximumSegmentSize:
            guard length == 4 else { throw stop(.badOptionLength(kind: kind)) }
            return .maximumSegmentSize(body.bigEndianUInt16(at: 0))
        case TCPOptionKind.windowScale:
            guard length == 3 else { throw stop(.badOptionLength(kind: kind)) }
            return .windowScale(body.byte(at: 0))
        case TCPOptionKind.sackPermitted:
            guard length == 2 else { throw stop(.badOptionLength(kind: kind)) }
            return .sackPermitted
        case TCPOptionKind.timestamps:
            guard length == 10 else { throw stop(.badOptionLength(kind: kind)) }
            return .timestamps(TCPTimestamps(value: body.bigEndianUInt32(at: 0), echoReply: body.bigEndianUInt32(at: 4)))
        case TCPOptionKind.sackBlocks:
            let blockBytes = length &- 2
            guard blockBytes & 7 == 0, blockBytes >= 8, blockBytes <= 8 &* TCPSACKBlocks.capacity else {
                throw stop(.badOptionLength(kind: kind))
            }
            var blocks = TCPSACKBlocks()
            var blockOffset = 0
            while blockOffset < blockBytes {
                blocks.append(TCPSACKBlock(leftEdge: SequenceNumber(body.bigEndianUInt32(at: blockOffset)),
                                           rightEdge: SequenceNumber(body.bigEndianUInt32(at: blockOffset &+ 4))))
                blockOffset &+= 8
            }
            return .sackBlocks(blocks)
        default:
            return .unknown(kind: kind, length: UInt8(truncatingIfNeeded: length))
        }
    }

    /// Ends the walk and hands back `error` to throw.
    @inlinable
    mutating func stop(_ error: WireError) -> WireError {
        offset = count
        return error
    }
}
