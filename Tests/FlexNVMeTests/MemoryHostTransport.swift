import FlexNVMe

/// A host transport without sockets: each queue talks to a `TargetConnection` of `target` in the
/// same thread, bytes moved by `pump`; `tamper` may change the bytes in flight (whole PDUs, in order)
/// to inject corruption. Deterministic, for codec-level and corruption tests.
final class MemoryHostTransport: HostTransport {
    enum Direction { case toTarget, toHost }
    let target: NVMeTarget
    var tamper: ((Direction, inout [UInt8]) -> Void)?
    /// Once set (e.g. by `tamper`), the pump ends every connection, admin queue first, after moving
    /// bytes: what Linux's nvmet does on a fatal error such as a bad H2CData digest.
    var endsEveryConnection = false
    private(set) var pairs: [(queue: HostQueue, connection: TargetConnection)] = []

    init(target: NVMeTarget) { self.target = target }

    func open(_ queue: HostQueue) throws(HostError) {
        pairs.append((queue, TargetConnection(target: target, localAddress: "198.18.0.2", localPort: 4420, bufferCapacity: 1 << 20)))
    }

    func pump(timeoutMilliseconds: Int32) throws(HostError) {
        for (queue, connection) in pairs {
            move(queue, to: connection, .toTarget)
            connection.checkTimers()
            move(connection, to: queue, .toHost)
            if connection.isFinished && connection.outbound.isEmpty && !queue.isFinished { queue.close() }
        }
        guard endsEveryConnection else { return }
        for (queue, connection) in pairs {
            connection.close()
            queue.close()
        }
        pairs = []
    }

    func close(_ queue: HostQueue) {
        guard let index = pairs.firstIndex(where: { $0.queue === queue }) else { return }
        pairs[index].connection.close()
        pairs.remove(at: index)
    }

    private func move(_ from: any StreamEndpoint, to: any StreamEndpoint, _ direction: Direction) {
        guard !from.outbound.isEmpty else { return }
        var bytes = Array(from.outbound.pending)
        from.outbound.consume(bytes.count)
        tamper?(direction, &bytes)
        bytes.withUnsafeBytes { raw in
            var input = InputBytes(raw)
            to.receive(&input)
        }
    }
}

/// The PDUs in `bytes` (whole PDUs back to back): type and the byte range of each.
func pduRanges(_ bytes: [UInt8]) -> [(type: UInt8, range: Range<Int>)] {
    var result: [(UInt8, Range<Int>)] = []
    var offset = 0
    while offset + 8 <= bytes.count {
        let length = Int(bytes.loadLittleUInt32(at: offset + 4))
        guard length >= 8, offset + length <= bytes.count else { break }
        result.append((bytes[offset], offset..<(offset + length)))
        offset += length
    }
    return result
}

extension Array where Element == UInt8 {
    func loadLittleUInt32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2]) << 16 | UInt32(self[offset + 3]) << 24
    }
}
