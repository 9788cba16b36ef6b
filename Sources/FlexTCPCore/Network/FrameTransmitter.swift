import FlexPort

/// Hands out a port's transmit slots one frame at a time and commits them in batches.
///
/// Contract: `reserve()` returns a writable slot (committing the frames so far first when the batch
/// is full or the port has no slot left), or nil when the port has none free; `complete(length:)`
/// gives the frame written into the last slot its length, padding it with zeros to the 60-byte
/// Ethernet minimum; a slot left without a length goes back to the port unsent. `flush()` commits.
/// No allocation after `init`. One thread.
final class FrameTransmitter {
    /// The shortest Ethernet frame without its frame check sequence.
    static let minimumFrameLength = 60

    let port: any Port
    private let batch: FrameBatch

    init(port: any Port, batchCapacity: Int) {
        self.port = port
        batch = FrameBatch(capacity: batchCapacity)
    }

    func reserve() -> UnsafeMutableRawBufferPointer? {
        if batch.isFull { flush() }
        if port.reserveTransmit(into: batch, count: 1) == 0 {
            guard !batch.isEmpty else { return nil }
            flush()
            guard port.reserveTransmit(into: batch, count: 1) == 1 else { return nil }
        }
        let slot = batch[batch.count - 1]
        return UnsafeMutableRawBufferPointer(start: slot.bytes, count: slot.capacity)
    }

    func complete(length: Int) {
        var slot = batch[batch.count - 1]
        let padded = min(max(length, Self.minimumFrameLength), slot.capacity)
        if padded > length { (slot.bytes + length).initializeMemory(as: UInt8.self, repeating: 0, count: padded - length) }
        slot.length = padded
        batch[batch.count - 1] = slot
    }

    /// Commits every completed frame; returns how many the port sent.
    @discardableResult
    func flush() -> Int {
        batch.isEmpty ? 0 : port.commitTransmit(batch)
    }
}
