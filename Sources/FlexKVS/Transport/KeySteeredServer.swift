/// FlexKVS's side of FlexNIC key-based steering (`KeySteering` in FlexNIC): serves the frames a
/// key-steering receive program delivered to one core's queue — memcached binary GETs and SETs over
/// UDP, each with the key's CRC32C relayed in the queue entry's descriptor, so the key is not hashed
/// again — and, with the custom DMA path, SETs the NIC already placed into the partition's log
/// (adopted in place: no value copy). Also serves unsteered datagrams (hashing the key itself), for
/// the exception queue and for comparison with flow-based steering.
///
/// Contract: one thread per instance (a core's queue); `answer` returns the reply datagrams
/// through `send` (valid only during the call), framed as memcached's UDP replies.
public final class KeySteeredServer {
    private let server: CacheServer
    private let session: ProtocolSession
    private let placesSets: Bool
    private let sendBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: UDPFraming.largestDatagram, alignment: 16)
    /// A steered SET the NIC did not place whole, with its CAS field cleared (any UDP payload fits).
    private let requestScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(UInt16.max), alignment: 16)

    /// A server for the queue entries of a key-steering program that places SETs (`placesSets`) or not.
    public init(server: CacheServer, placesSets: Bool) {
        self.server = server
        self.placesSets = placesSets
        session = ProtocolSession(server: server)
    }

    deinit {
        sendBuffer.deallocate()
        requestScratch.deallocate()
    }

    /// Answers the memcached datagram (UDP payload) `datagram`; `relayedHash` is the descriptor of
    /// a key-steered entry (nil: unsteered, hash the key), the hash of its first request's key. A
    /// steered SET is taken as placed when `placesSets` (its CAS field holds the item's offset) and
    /// the bytes there are the request; otherwise the placed copy counts as lost (a gap in the log)
    /// and the SET is served from the datagram, as the plain SET (CAS 0) it was. Malformed datagrams
    /// get no reply.
    public func answer(_ datagram: UnsafeRawBufferPointer, relayedHash: UInt32?, send: (UnsafeRawBufferPointer) -> Void) {
        guard let requestID = UDPFraming.requestID(of: datagram) else { return }
        let request = UnsafeRawBufferPointer(rebasing: datagram[UDPFraming.headerSize...])
        session.reset()
        if let relayedHash, placesSets, request.count >= BinaryHeader.size, request[1] == BinaryOpcode.set.rawValue {
            let header = BinaryHeader(request)
            if let outcome = server.store.adoptPlacedSet(at: Int(truncatingIfNeeded: header.cas), hash: KeyHash.widening(relayedHash), request: request) {
                session.respond(to: outcome, of: .set, header, quiet: false)
            } else {
                serve(withoutPlacement(request), relayedHash: relayedHash)
            }
        } else {
            serve(request, relayedHash: relayedHash)
        }
        guard !session.output.isEmpty else { return }
        UDPFraming.datagrams(of: session.output.readable, requestID: requestID, scratch: sendBuffer, send)
        session.output.removeAll()
    }

    /// Answers every request of `request` (a datagram's payload); `relayedHash` is its first key's hash.
    private func serve(_ request: UnsafeRawBufferPointer, relayedHash: UInt32?) {
        session.relayedHash = relayedHash.map(KeyHash.widening)
        var used = 0
        while used < request.count {
            let taken = session.processNext(UnsafeRawBufferPointer(rebasing: request[used...]))
            session.relayedHash = nil  // the NIC hashed the first request's key only
            guard taken > 0 else { break }
            used += taken
        }
    }

    /// `request` (a SET the NIC meant to place) copied with the CAS field it wrote back to 0.
    private func withoutPlacement(_ request: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let casField = 16..<24
        let copy = UnsafeMutableRawBufferPointer(rebasing: requestScratch[0..<request.count])
        copy.copyMemory(from: request)
        for index in casField { copy[index] = 0 }
        return UnsafeRawBufferPointer(copy)
    }

    /// The UDP payload of an Ethernet frame carrying IPv4/UDP (no VLAN tag), or nil.
    public static func udpPayload(ofFrame frame: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard frame.count >= 14 + 20 + 8, frame[12] == 0x08, frame[13] == 0x00, frame[14] >> 4 == 4, frame[23] == 17 else { return nil }
        let udp = 14 + Int(frame[14] & 0x0F) * 4
        guard udp + 8 <= frame.count else { return nil }
        let length = Int(frame[udp + 4]) << 8 | Int(frame[udp + 5])
        guard length >= 8, udp + length <= frame.count else { return nil }
        return UnsafeRawBufferPointer(rebasing: frame[(udp + 8)..<(udp + length)])
    }
}
