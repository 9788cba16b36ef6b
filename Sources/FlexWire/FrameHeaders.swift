/// The headers of a whole frame — Ethernet, then ARP or IPv4 with TCP, UDP or ICMP — as one value,
/// for tools, tests and slow paths that build complete frames.
///
/// Contract: `emit(payload:into:)` writes every header and the payload and returns the frame length.
/// It derives what follows from the layers: the EtherType (ARP or IPv4; kept for `.other`), the IPv4
/// protocol (kept for `.fragment` and `.other`) and the IPv4 payload length; it computes every checksum.
/// The payload is what follows the innermost header (for ARP and `.other`, raw trailing bytes).
/// Throws `.bufferTooSmall` when the frame does not fit, and what the layers' `emit` throw.
public struct FrameHeaders: Hashable, Sendable {
    /// What the Ethernet frame carries.
    public enum Network: Hashable, Sendable {
        case arp(ARPRepr)
        case ipv4(IPv4Repr, Transport)
        /// An EtherType FlexWire does not parse (e.g. IPv6).
        case other
    }

    /// What an IPv4 packet carries.
    public enum Transport: Hashable, Sendable {
        case tcp(TCPSegmentRepr)
        case udp(UDPRepr)
        case icmp(ICMPv4Repr)
        /// A fragment of a larger datagram: the transport header is not parsed (no reassembly).
        case fragment
        /// A protocol FlexWire does not parse.
        case other

        /// The IPv4 protocol number this layer implies (nil for `.fragment` and `.other`).
        public var protocolNumber: IPProtocol? {
            switch self {
            case .tcp: .tcp
            case .udp: .udp
            case .icmp: .icmp
            case .fragment, .other: nil
            }
        }

        /// Header bytes this layer writes before the payload.
        public var headerLength: Int {
            switch self {
            case let .tcp(segment): segment.headerLength
            case .udp: UDPRepr.headerLength
            case .icmp: ICMPv4Repr.headerLength
            case .fragment, .other: 0
            }
        }
    }

    public var ethernet: EthernetRepr
    public var network: Network

    public init(ethernet: EthernetRepr, network: Network) {
        self.ethernet = ethernet
        self.network = network
    }

    /// The number of bytes `emit` writes for a payload of `payloadCount` bytes.
    public func frameLength(payloadCount: Int) -> Int {
        switch network {
        case .arp: ethernet.headerLength + ARPRepr.packetLength + payloadCount
        case let .ipv4(_, transport): ethernet.headerLength + IPv4Repr.headerLength + transport.headerLength + payloadCount
        case .other: ethernet.headerLength + payloadCount
        }
    }

    public func emit(payload: UnsafeRawBufferPointer, into buffer: UnsafeMutableRawBufferPointer) throws(WireError) -> Int {
        let base = try buffer.start(requiring: frameLength(payloadCount: payload.count))
        var ethernet = ethernet
        switch network {
        case .arp: ethernet.etherType = .arp
        case .ipv4: ethernet.etherType = .ipv4
        case .other: break
        }
        var offset = try ethernet.emit(into: buffer)
        func rest() -> UnsafeMutableRawBufferPointer {
            UnsafeMutableRawBufferPointer(start: base + offset, count: buffer.count - offset)
        }
        switch network {
        case let .arp(arp):
            offset += try arp.emit(into: rest())
        case .other:
            break
        case .ipv4(var ip, let transport):
            if let protocolNumber = transport.protocolNumber { ip.protocolNumber = protocolNumber }
            ip.payloadLength = transport.headerLength + payload.count
            offset += try ip.emit(into: rest())
            switch transport {
            case let .tcp(segment):
                return offset + (try segment.emit(into: rest(), payload: payload, source: ip.source, destination: ip.destination))
            case let .udp(datagram):
                return offset + (try datagram.emit(into: rest(), payload: payload, source: ip.source, destination: ip.destination))
            case let .icmp(message):
                return offset + (try message.emit(into: rest(), payload: payload))
            case .fragment, .other:
                break
            }
        }
        // Layers without a header of their own for the payload: it follows as raw bytes.
        (base + offset).copyPayload(payload)
        return offset + payload.count
    }

    /// The frame as a new array (allocates; for tests and tools).
    public func frame(payload: [UInt8] = []) throws(WireError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: frameLength(payloadCount: payload.count))
        let written = bytes.withUnsafeMutableBytes { buffer in
            payload.withUnsafeBytes { payload in
                Result { () throws(WireError) in try emit(payload: payload, into: buffer) }
            }
        }
        _ = try written.get()
        return bytes
    }
}
