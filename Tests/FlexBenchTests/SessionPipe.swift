@testable import FlexBench

/// Two sessions joined back to back by a test transport that moves bytes in chunks of seeded
/// random sizes (1 … `maximumChunk`), honouring the Session contract: receive limits, partial
/// sends, end of stream.
final class SessionPipe {
    let client: Session
    let server: Session
    private var random: UInt64
    private let maximumChunk: Int
    private var inFlightToServer: [UInt8] = []
    private var inFlightToClient: [UInt8] = []
    private var deliveredToClient = 0
    /// The position in the server-to-client stream of a byte to flip in transit (tests that checks can fail).
    var corruptedClientByte: Int?

    init(spec: WorkloadSpec, seed: UInt64, maximumChunk: Int = 300) {
        let clientEndpoint = WorkloadEndpoint(spec: spec, role: .client)
        let serverEndpoint = WorkloadEndpoint(spec: spec, role: .server)
        client = clientEndpoint.makeSession(now: 0)
        server = serverEndpoint.makeSession(now: 0)
        random = seed | 1
        self.maximumChunk = maximumChunk
        client.opened(now: 0)
        server.opened(now: 0)
    }

    var clientMetrics: EndpointMetrics { client.endpoint.metrics }
    var serverMetrics: EndpointMetrics { server.endpoint.metrics }

    /// One round: each side sends a chunk of its pending bytes, each side receives a chunk.
    func step(now: UInt64) {
        send(from: client, into: &inFlightToServer, now: now)
        send(from: server, into: &inFlightToClient, now: now)
        deliver(&inFlightToServer, to: server, now: now)
        deliver(&inFlightToClient, to: client, now: now)
    }

    private func nextChunk() -> Int {
        random ^= random << 13
        random ^= random >> 7
        random ^= random << 17
        return 1 + Int(random % UInt64(maximumChunk))
    }

    private func send(from session: Session, into wire: inout [UInt8], now: UInt64) {
        let pending = session.pending
        let count = min(pending.count, nextChunk())
        guard count > 0 else { return }
        wire.append(contentsOf: pending[..<count])
        session.sent(count, now: now)
    }

    private func deliver(_ wire: inout [UInt8], to session: Session, now: UInt64) {
        let count = min(wire.count, nextChunk(), session.receiveLimit)
        guard count > 0 else { return }
        if session === client {
            if let corrupted = corruptedClientByte, (deliveredToClient..<deliveredToClient + count).contains(corrupted) {
                wire[corrupted - deliveredToClient] ^= 0xff
            }
            deliveredToClient += count
        }
        wire.withUnsafeBytes { session.received(UnsafeRawBufferPointer(rebasing: $0[..<count]), now: now) }
        wire.removeFirst(count)
    }
}
