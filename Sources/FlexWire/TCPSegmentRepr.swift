/// A TCP header, options included, as a value. The payload travels separately.
///
/// Contract: `init(parsing:source:destination:verifyChecksum:)` throws `.badChecksum(.tcp)` for a bad
/// checksum when asked to verify, and (with `.strict` option parsing, the default) any option error
/// (`TCPOptions.init(parsing:)`); with `.lenient` malformed options are read as `TCPOptions(lenientlyParsing:)` does.
/// `emit(into:payload:source:destination:)` writes header (options as `TCPOptions.emit` lays them out),
/// then the payload, computes the checksum, and returns `headerLength + payload.count`.
public struct TCPSegmentRepr: Hashable, Sendable {
    @inlinable public static var fixedHeaderLength: Int { 20 }

    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var sequenceNumber: SequenceNumber
    public var acknowledgmentNumber: SequenceNumber
    public var flags: TCPFlags
    /// The window field as sent (unscaled).
    public var window: UInt16
    public var urgentPointer: UInt16
    public var options: TCPOptions

    @inlinable
    public init(sourcePort: UInt16, destinationPort: UInt16, sequenceNumber: SequenceNumber,
                acknowledgmentNumber: SequenceNumber = SequenceNumber(0), flags: TCPFlags, window: UInt16,
                urgentPointer: UInt16 = 0, options: TCPOptions = TCPOptions()) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.sequenceNumber = sequenceNumber
        self.acknowledgmentNumber = acknowledgmentNumber
        self.flags = flags
        self.window = window
        self.urgentPointer = urgentPointer
        self.options = options
    }

    @inlinable
    public init<P>(parsing segment: TCPSegment<P>, source: IPv4Address, destination: IPv4Address,
                   verifyChecksum: Bool = true, optionParsing: TCPOptionParsing = .strict) throws(WireError) {
        if verifyChecksum, !segment.isChecksumValid(source: source, destination: destination) {
            throw .badChecksum(.tcp)
        }
        self.init(sourcePort: segment.sourcePort, destinationPort: segment.destinationPort,
                  sequenceNumber: segment.sequenceNumber, acknowledgmentNumber: segment.acknowledgmentNumber,
                  flags: segment.flags, window: segment.window, urgentPointer: segment.urgentPointer,
                  options: optionParsing == .strict ? try TCPOptions(parsing: segment.optionIterator)
                      : TCPOptions(lenientlyParsing: segment.optionIterator))
    }

    /// Header bytes `emit` writes: 20 plus the encoded options.
    @inlinable public var headerLength: Int { Self.fixedHeaderLength &+ options.encodedLength }

    @inlinable
    public func emit(into buffer: UnsafeMutableRawBufferPointer, payload: UnsafeRawBufferPointer,
                     source: IPv4Address, destination: IPv4Address) throws(WireError) -> Int {
        let headerLength = headerLength
        let length = headerLength &+ payload.count
        let base = try buffer.start(requiring: length)
        (base + headerLength).copyPayload(payload)
        _ = try options.emit(into: UnsafeMutableRawBufferPointer(start: base + Self.fixedHeaderLength,
                                                                 count: headerLength &- Self.fixedHeaderLength))
        base.storeByte(UInt8(truncatingIfNeeded: headerLength >> 2) << 4, at: Offset.dataOffset)
        let segment = try TCPSegment(checking: base, length: length)
        segment.setSourcePort(sourcePort)
        segment.setDestinationPort(destinationPort)
        segment.setSequenceNumber(sequenceNumber)
        segment.setAcknowledgmentNumber(acknowledgmentNumber)
        segment.setFlags(flags)
        segment.setWindow(window)
        segment.setUrgentPointer(urgentPointer)
        segment.fillChecksum(source: source, destination: destination)
        return length
    }
}
