/// How a parser treats malformed TCP options.
public enum TCPOptionParsing: Sendable {
    /// Any malformed option is an error (`TCPOptions(parsing:)`).
    case strict
    /// Malformed options are skipped or end the walk as Linux does (`TCPOptions(lenientlyParsing:)`).
    case lenient
}

/// The TCP options FlexWire understands, as a value (at most 40 bytes on the wire).
///
/// Contract: `init(parsing:)` walks the option bytes with `TCPOptionIterator` (no allocation), skips
/// unknown options and NOPs, stops at end-of-list, lets a repeated option overwrite the earlier one,
/// and throws what the iterator throws. `emit` writes the options in Linux's order and layout — MSS;
/// SACK-permitted fused with timestamps (or NOP NOP before either alone); NOP + window scale; NOP NOP +
/// SACK blocks — so every piece is 4-byte aligned and no extra padding is needed. SACK blocks that do
/// not fit in the 40 bytes are left out (`emittedSACKBlockCount`).
public struct TCPOptions: Hashable, Sendable {
    @inlinable public static var maximumLength: Int { 40 }

    public var maximumSegmentSize: UInt16?
    public var windowScale: UInt8?
    public var sackPermitted: Bool
    public var timestamps: TCPTimestamps?
    public var sackBlocks: TCPSACKBlocks

    @inlinable
    public init(maximumSegmentSize: UInt16? = nil, windowScale: UInt8? = nil, sackPermitted: Bool = false,
                timestamps: TCPTimestamps? = nil, sackBlocks: TCPSACKBlocks = TCPSACKBlocks()) {
        self.maximumSegmentSize = maximumSegmentSize
        self.windowScale = windowScale
        self.sackPermitted = sackPermitted
        self.timestamps = timestamps
        self.sackBlocks = sackBlocks
    }

    @inlinable
    public init(parsing iterator: TCPOptionIterator) throws(WireError) {
        self.init()
        var iterator = iterator
        while let option = try iterator.next() { record(option) }
    }

    /// The options as Linux's `tcp_parse_options` reads them, for handshake segments: a known option
    /// of the wrong length is ignored (treated as absent) and the walk goes on after it; an option whose
    /// length byte is below 2 or that runs past the end ends the walk, keeping what was read before it.
    /// Never throws. `init(parsing:)` stays the strict reading.
    public init(lenientlyParsing iterator: TCPOptionIterator) {
        self.init()
        var iterator = iterator
        while true {
            let start = iterator.offset
            do throws(WireError) {
                guard let option = try iterator.next() else { return }
                record(option)
            } catch .badOptionLength {
                // The iterator checked that the length byte (at start + 1) is at least 2 and within the options.
                iterator.offset = start &+ Int(iterator.bytes.byte(at: start &+ 1))
            } catch {
                return
            }
        }
    }

    /// Takes `option` into these options (a repeated option overwrites the earlier one).
    @inlinable
    mutating func record(_ option: TCPOption) {
        switch option {
        case .endOfList, .noOperation, .unknown: break
        case let .maximumSegmentSize(value): maximumSegmentSize = value
        case let .windowScale(shift): windowScale = shift
        case .sackPermitted: sackPermitted = true
        case let .timestamps(value): timestamps = value
        case let .sackBlocks(blocks): sackBlocks = blocks
        }
    }

    /// Bytes of everything except the SACK blocks.
    @inlinable
    var fixedLength: Int {
        (maximumSegmentSize == nil ? 0 : 4) &+ (timestamps == nil ? (sackPermitted ? 4 : 0) : 12)
            &+ (windowScale == nil ? 0 : 4)
    }

    /// How many of `sackBlocks` `emit` writes: as many as fit after the other options.
    @inlinable
    public var emittedSACKBlockCount: Int {
        let room = Self.maximumLength &- fixedLength
        return room >= 12 ? min(sackBlocks.count, (room &- 4) >> 3) : 0
    }

    /// The bytes `emit` writes: a multiple of 4, at most 40.
    @inlinable
    public var encodedLength: Int {
        let blocks = emittedSACKBlockCount
        return fixedLength &+ (blocks == 0 ? 0 : 4 &+ 8 &* blocks)
    }

    /// Writes the options and returns `encodedLength`.
    @inlinable
    public func emit(into buffer: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        let length = encodedLength
        let base = try buffer.start(requiring: length)
        let nop = TCPOptionKind.noOperation
        var writer = WordWriter(base: base)
        if let maximumSegmentSize {
            writer.put(TCPOptionKind.maximumSegmentSize, 4, UInt8(truncatingIfNeeded: maximumSegmentSize >> 8),
                       UInt8(truncatingIfNeeded: maximumSegmentSize))
        }
        if let timestamps {
            if sackPermitted {
                writer.put(TCPOptionKind.sackPermitted, 2, TCPOptionKind.timestamps, 10)
            } else {
                writer.put(nop, nop, TCPOptionKind.timestamps, 10)
            }
            writer.put(timestamps.value)
            writer.put(timestamps.echoReply)
        } else if sackPermitted {
            writer.put(nop, nop, TCPOptionKind.sackPermitted, 2)
        }
        if let windowScale {
            writer.put(nop, TCPOptionKind.windowScale, 3, windowScale)
        }
        let blocks = emittedSACKBlockCount
        if blocks > 0 {
            writer.put(nop, nop, TCPOptionKind.sackBlocks, UInt8(truncatingIfNeeded: 2 &+ 8 &* blocks))
            for index in 0..<blocks {
                writer.put(sackBlocks[index].leftEdge.rawValue)
                writer.put(sackBlocks[index].rightEdge.rawValue)
            }
        }
        return length
    }
}

/// Appends big-endian 32-bit words at consecutive offsets.
@usableFromInline
struct WordWriter {
    @usableFromInline let base: UnsafeMutableRawPointer
    @usableFromInline var offset = 0

    @inlinable init(base: UnsafeMutableRawPointer) { self.base = base }

    @inlinable
    mutating func put(_ word: UInt32) {
        base.storeBigEndian(word, at: offset)
        offset &+= 4
    }

    @inlinable
    mutating func put(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        put(UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d))
    }
}
