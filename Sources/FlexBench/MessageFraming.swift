/// Messages of a fixed size whose first bytes (up to 8) carry a sequence number, little-endian:
/// the stamp that lets a receiver check that no message was lost, duplicated or reordered.
struct MessageStamp {
    let length: Int
    let mask: UInt64

    init(messageSize: Int) {
        length = min(messageSize, 8)
        mask = length == 8 ? .max : (UInt64(1) << UInt64(8 * length)) &- 1
    }

    /// Writes `sequence`'s low `length` bytes at `destination`.
    @inline(__always)
    func write(_ sequence: UInt64, to destination: UnsafeMutableRawPointer) {
        if length == 8 {
            destination.storeBytes(of: sequence.littleEndian, as: UInt64.self)
        } else {
            for index in 0..<length { destination.storeBytes(of: UInt8(truncatingIfNeeded: sequence >> UInt64(8 * index)), toByteOffset: index, as: UInt8.self) }
        }
    }

    /// Whether a received stamp is `sequence`'s.
    @inline(__always)
    func matches(_ stamp: UInt64, sequence: UInt64) -> Bool { stamp == sequence & mask }
}

/// Finds message boundaries in a byte stream cut anywhere by the transport, collecting each
/// message's stamp on the way.
///
/// Contract: `consume` calls `complete(stamp)` once for every message that ends inside the given
/// bytes, in order; partial messages carry over to the next call.
struct MessageAssembler {
    let size: Int
    let stamp: MessageStamp
    private var offset = 0
    private var collected: UInt64 = 0

    init(messageSize: Int) {
        size = messageSize
        stamp = MessageStamp(messageSize: messageSize)
    }

    @inline(__always)
    mutating func consume(_ bytes: UnsafeRawBufferPointer, complete: (UInt64) -> Void) {
        var index = 0
        let count = bytes.count
        while index < count {
            if offset == 0 && stamp.length == 8 && count &- index >= 8, let base = bytes.baseAddress {
                // A whole 8-byte stamp in this piece (the common case): one load, not eight.
                collected = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                offset = 8
                index &+= 8
            }
            while offset < stamp.length && index < count {
                collected |= UInt64(bytes[index]) << UInt64(8 * offset)
                offset += 1
                index += 1
            }
            let take = min(size - offset, count - index)
            offset += take
            index += take
            if offset == size {
                complete(collected)
                offset = 0
                collected = 0
            }
        }
    }
}

/// Busy-waits for a number of CPU cycles: the artificial per-message processing cost.
enum CycleDelay {
    @inline(__always)
    static func spin(_ cycles: UInt64) {
        guard cycles > 0 else { return }
        let end = flexCycles() &+ cycles
        while flexCycles() < end {}
    }
}
