import FlexPort
import FlexWire

/// What the in-memory wire benchmarks send: 64-byte Ethernet + IPv4 + UDP frames (22 payload bytes)
/// from a template, each stamped with a running number in its last four bytes, in batches of 32 over a
/// `MemoryWire` whose sender never overflows (a full ring pushes back instead of dropping).
enum MemoryWireTraffic {
    static let frameLength = 64
    static let batchSize = 32
    private static let stampOffset = frameLength - 4

    /// A wire of 1024 slots per direction for 64-byte frames, without overflow buffers.
    static func makeWire() -> MemoryWire {
        do {
            return try MemoryWire(capacity: 1024, maximumFrameLength: frameLength, overflowCapacity: 0)
        } catch {
            fatalError("flexbench: cannot create an in-memory wire: \(error)")
        }
    }

    /// The frame every slot starts from.
    static let template: [UInt8] = {
        let ip = IPv4Repr(source: BenchmarkConnection.sourceAddress, destination: BenchmarkConnection.destinationAddress,
                          protocolNumber: .udp, payloadLength: 0)
        let headers = FrameHeaders(ethernet: BenchmarkConnection.ethernet,
                                   network: .ipv4(ip, .udp(UDPRepr(sourcePort: 40_000, destinationPort: 9))))
        // 14 + 20 + 8 header bytes and 22 payload bytes always fit the array `frame` sizes for them.
        return try! headers.frame(payload: [UInt8](repeating: 0x5a, count: frameLength - 42))
    }()

    /// Writes a stamped copy of `template` (at `templateBytes`) into every slot of `batch`, stamps
    /// counting up from `stamp`, and sets each length.
    @inline(__always)
    static func fill(_ batch: FrameBatch, from templateBytes: UnsafeRawPointer, stamp: inout UInt32) {
        for index in 0..<batch.count {
            var frame = batch[index]
            frame.bytes.copyMemory(from: templateBytes, byteCount: frameLength)
            frame.bytes.storeBytes(of: stamp, toByteOffset: stampOffset, as: UInt32.self)
            frame.length = frameLength
            batch[index] = frame
            stamp &+= 1
        }
    }

    /// The sum of the stamps and lengths of the received frames in `batch`.
    @inline(__always)
    static func fold(_ batch: FrameBatch) -> UInt64 {
        var folded: UInt64 = 0
        for index in 0..<batch.count {
            let frame = batch[index]
            folded &+= UInt64(frame.bytes.loadUnaligned(fromByteOffset: stampOffset, as: UInt32.self)) &+ UInt64(frame.length)
        }
        return folded
    }
}
