import FlexPort
import FlexWire

// Frames written and read by hand on B's end of the wire, for tests that play a raw peer of end A
// (whatever is at end B must not be stepping meanwhile).
extension TestWire {
    /// The Ethernet frame that carries `segment` and `payload` from B's MAC and `source` to A's MAC
    /// and address, lengths and checksums filled in.
    public func frameToA(_ segment: TCPSegmentRepr, payload: [UInt8] = [], source: IPv4Address = addressB) throws -> [UInt8] {
        let headers = FrameHeaders(ethernet: EthernetRepr(destination: wire.a.macAddress, source: wire.b.macAddress, etherType: .ipv4),
                                   network: .ipv4(IPv4Repr(source: source, destination: Self.addressA, protocolNumber: .tcp, payloadLength: 0),
                                                  .tcp(segment)))
        return try headers.frame(payload: payload)
    }

    /// The headers of the frames end A sent to B's end since the last call (frames that do not
    /// parse are left out).
    public func framesArrivedAtB() -> [FrameHeaders] {
        wire.b.poll()
        return wire.b.receiveCopies(maximum: 4096).compactMap { frame in
            frame.withUnsafeBytes { try? ParsedFrame(parsing: $0) }?.headers
        }
    }
}
