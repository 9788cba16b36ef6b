/// A checked view of a TCP segment (RFC 9293).
///
/// Contract: `init(checking:length:)` throws `.truncated(.tcp)` for fewer than 20 bytes and
/// `.badHeaderLength(.tcp)` for a data offset below 5 or a header longer than the segment; the segment
/// spans all `length` bytes (the IPv4 payload). Options are not checked here: walk them with
/// `optionIterator`. The checksum is not verified here (`isChecksumValid`). After the check no accessor
/// can trap; the layout (`headerLength`) is fixed when checked and setters only write bytes.
public struct TCPSegment<Pointer: RawBytePointer>: WireView {
    public let base: Pointer
    public let length: Int
    /// Header bytes, options included (20...60).
    public let headerLength: Int

    @inlinable
    public init(checking base: Pointer, length: Int) throws(WireError) {
        guard length >= TCPSegmentRepr.fixedHeaderLength else { throw .truncated(.tcp) }
        let headerLength = Int(base.readOnly.byte(at: TCPSegmentRepr.Offset.dataOffset) >> 4) &* 4
        guard headerLength >= TCPSegmentRepr.fixedHeaderLength, headerLength <= length else {
            throw .badHeaderLength(.tcp)
        }
        self.base = base
        self.length = length
        self.headerLength = headerLength
    }

    @inlinable public var sourcePort: UInt16 { base.readOnly.bigEndianUInt16(at: TCPSegmentRepr.Offset.sourcePort) }
    @inlinable public var destinationPort: UInt16 { base.readOnly.bigEndianUInt16(at: TCPSegmentRepr.Offset.destinationPort) }
    @inlinable public var sequenceNumber: SequenceNumber {
        SequenceNumber(base.readOnly.bigEndianUInt32(at: TCPSegmentRepr.Offset.sequenceNumber))
    }
    @inlinable public var acknowledgmentNumber: SequenceNumber {
        SequenceNumber(base.readOnly.bigEndianUInt32(at: TCPSegmentRepr.Offset.acknowledgmentNumber))
    }
    /// The data offset field: header length in 32-bit words.
    @inlinable public var dataOffset: UInt8 { base.readOnly.byte(at: TCPSegmentRepr.Offset.dataOffset) >> 4 }
    @inlinable public var flags: TCPFlags { TCPFlags(rawValue: base.readOnly.byte(at: TCPSegmentRepr.Offset.flags)) }
    /// The window field as sent (unscaled).
    @inlinable public var window: UInt16 { base.readOnly.bigEndianUInt16(at: TCPSegmentRepr.Offset.window) }
    @inlinable public var checksum: UInt16 { base.readOnly.bigEndianUInt16(at: TCPSegmentRepr.Offset.checksum) }
    @inlinable public var urgentPointer: UInt16 { base.readOnly.bigEndianUInt16(at: TCPSegmentRepr.Offset.urgentPointer) }

    /// The raw option bytes (empty when the data offset is 5).
    @inlinable public var options: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base.readOnly + TCPSegmentRepr.fixedHeaderLength,
                               count: headerLength &- TCPSegmentRepr.fixedHeaderLength)
    }

    /// A fresh walk over the option bytes.
    @inlinable public var optionIterator: TCPOptionIterator {
        TCPOptionIterator(bytes: base.readOnly + TCPSegmentRepr.fixedHeaderLength,
                          count: headerLength &- TCPSegmentRepr.fixedHeaderLength)
    }

    /// The timestamps when the options are exactly NOP, NOP, timestamps, nil otherwise (walk
    /// `optionIterator`); see `TCPTimestamps(alignedIn:count:)`.
    @inlinable public var alignedTimestamps: TCPTimestamps? {
        TCPTimestamps(alignedIn: base.readOnly + TCPSegmentRepr.fixedHeaderLength, count: headerLength &- TCPSegmentRepr.fixedHeaderLength)
    }

    /// True when the segment sums to zero with the pseudo-header and its stored checksum.
    @inlinable
    public func isChecksumValid(source: IPv4Address, destination: IPv4Address) -> Bool {
        InternetChecksum.transportChecksum(base.readOnly, length: length, source: source,
                                           destination: destination, protocolNumber: .tcp) == 0
    }

    @inlinable public var payloadBase: Pointer { base.advanced(by: headerLength) }
    @inlinable public var payloadLength: Int { length &- headerLength }
}

extension TCPSegment where Pointer == UnsafeMutableRawPointer {
    @inlinable public func setSourcePort(_ port: UInt16) { base.storeBigEndian(port, at: TCPSegmentRepr.Offset.sourcePort) }
    @inlinable public func setDestinationPort(_ port: UInt16) { base.storeBigEndian(port, at: TCPSegmentRepr.Offset.destinationPort) }
    @inlinable public func setSequenceNumber(_ number: SequenceNumber) {
        base.storeBigEndian(number.rawValue, at: TCPSegmentRepr.Offset.sequenceNumber)
    }
    @inlinable public func setAcknowledgmentNumber(_ number: SequenceNumber) {
        base.storeBigEndian(number.rawValue, at: TCPSegmentRepr.Offset.acknowledgmentNumber)
    }
    /// Writes the data offset (header length in words) and clears the reserved bits.
    @inlinable public func setDataOffset(_ words: UInt8) { base.storeByte(words << 4, at: TCPSegmentRepr.Offset.dataOffset) }
    @inlinable public func setFlags(_ flags: TCPFlags) { base.storeByte(flags.rawValue, at: TCPSegmentRepr.Offset.flags) }
    @inlinable public func setWindow(_ window: UInt16) { base.storeBigEndian(window, at: TCPSegmentRepr.Offset.window) }
    @inlinable public func setChecksum(_ checksum: UInt16) { base.storeBigEndian(checksum, at: TCPSegmentRepr.Offset.checksum) }
    @inlinable public func setUrgentPointer(_ pointer: UInt16) { base.storeBigEndian(pointer, at: TCPSegmentRepr.Offset.urgentPointer) }

    /// Computes the checksum over the pseudo-header and all `length` bytes and stores it.
    @inlinable
    public func fillChecksum(source: IPv4Address, destination: IPv4Address) {
        setChecksum(0)
        setChecksum(InternetChecksum.transportChecksum(base.readOnly, length: length, source: source,
                                                       destination: destination, protocolNumber: .tcp))
    }
}
