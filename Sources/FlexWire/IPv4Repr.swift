/// The fields of an IPv4 header without options, as a value.
///
/// Contract: `init(parsing:verifyChecksum:)` throws `.badChecksum(.ipv4)` for a bad header checksum when
/// asked to verify, and ignores options (a parsed packet with options re-emits without them).
/// `emit(into:)` writes the 20-byte header with total length `20 + payloadLength` and a valid checksum,
/// and returns 20; it throws `.badLength(.ipv4)` when the total length would exceed 65535.
public struct IPv4Repr: Hashable, Sendable {
    @inlinable public static var headerLength: Int { 20 }
    @inlinable public static var maximumTotalLength: Int { 0xffff }

    public var source: IPv4Address
    public var destination: IPv4Address
    public var protocolNumber: IPProtocol
    /// Bytes after the header (the transport segment, or this fragment's piece of it).
    public var payloadLength: Int
    public var timeToLive: UInt8
    public var identification: UInt16
    public var dontFragment: Bool
    public var moreFragments: Bool
    /// The fragment offset in bytes; a multiple of 8 (the low three bits are not representable).
    public var fragmentOffset: UInt16
    /// DSCP, six bits.
    public var differentiatedServices: UInt8
    public var ecn: ECNCodepoint

    @inlinable
    public init(source: IPv4Address, destination: IPv4Address, protocolNumber: IPProtocol, payloadLength: Int,
                timeToLive: UInt8 = 64, identification: UInt16 = 0, dontFragment: Bool = true,
                moreFragments: Bool = false, fragmentOffset: UInt16 = 0,
                differentiatedServices: UInt8 = 0, ecn: ECNCodepoint = .notECT) {
        self.source = source
        self.destination = destination
        self.protocolNumber = protocolNumber
        self.payloadLength = payloadLength
        self.timeToLive = timeToLive
        self.identification = identification
        self.dontFragment = dontFragment
        self.moreFragments = moreFragments
        self.fragmentOffset = fragmentOffset
        self.differentiatedServices = differentiatedServices
        self.ecn = ecn
    }

    @inlinable
    public init<P>(parsing packet: IPv4Packet<P>, verifyChecksum: Bool = true) throws(WireError) {
        if verifyChecksum, !packet.isHeaderChecksumValid { throw .badChecksum(.ipv4) }
        self.init(source: packet.source, destination: packet.destination, protocolNumber: packet.protocolNumber,
                  payloadLength: packet.payloadLength, timeToLive: packet.timeToLive,
                  identification: packet.identification, dontFragment: packet.dontFragment,
                  moreFragments: packet.moreFragments, fragmentOffset: packet.fragmentOffset,
                  differentiatedServices: packet.differentiatedServices, ecn: packet.ecn)
    }

    @inlinable public var isFragment: Bool { moreFragments || fragmentOffset >> 3 != 0 }

    @inlinable
    public func emit(into buffer: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        let base = try buffer.start(requiring: Self.headerLength)
        guard payloadLength >= 0, payloadLength <= Self.maximumTotalLength &- Self.headerLength else {
            throw .badLength(.ipv4)
        }
        base.storeByte(0x45, at: Offset.versionAndHeaderLength)
        base.storeByte(differentiatedServices << 2 | ecn.rawValue, at: Offset.trafficClass)
        base.storeBigEndian(UInt16(truncatingIfNeeded: Self.headerLength &+ payloadLength), at: Offset.totalLength)
        base.storeBigEndian(identification, at: Offset.identification)
        base.storeBigEndian(Self.flagsAndOffset(dontFragment: dontFragment, moreFragments: moreFragments, offset: fragmentOffset),
                            at: Offset.flagsAndFragmentOffset)
        base.storeByte(timeToLive, at: Offset.timeToLive)
        base.storeByte(protocolNumber.rawValue, at: Offset.protocolNumber)
        base.storeBigEndian(UInt16(0), at: Offset.headerChecksum)
        source.store(to: base + Offset.source)
        destination.store(to: base + Offset.destination)
        base.storeBigEndian(InternetChecksum.checksum(base, count: Self.headerLength), at: Offset.headerChecksum)
        return Self.headerLength
    }

    /// Bytes 6–7 of the header: DF and MF flags and the offset in 8-byte units.
    @inlinable
    static func flagsAndOffset(dontFragment: Bool, moreFragments: Bool, offset: UInt16) -> UInt16 {
        (dontFragment ? 0x4000 : 0) | (moreFragments ? 0x2000 : 0) | offset >> 3
    }
}
