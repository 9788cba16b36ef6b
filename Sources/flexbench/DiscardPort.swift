import FlexPort
import FlexWire

/// A port for benchmarks that never receives and drops everything it is asked to transmit, after
/// handing out real, preallocated transmit slots (so the sender writes its frames as usual).
///
/// Contract: `reserveTransmit` appends up to `slotCount` slots per batch; `commitTransmit` counts
/// the frames with a non-zero length as sent and forgets them. Single-threaded.
final class DiscardPort: Port {
    let macAddress = MACAddress(0x02, 0, 0, 0, 0, 0x0b)
    let maximumFrameLength = 1514
    private(set) var statistics = PortStatistics()
    private let slots: UnsafeMutableRawPointer
    private let slotCount: Int
    private static let slotSize = 2048

    init(slotCount: Int = 64) {
        self.slotCount = slotCount
        slots = .allocate(byteCount: slotCount * Self.slotSize, alignment: 64)
    }

    deinit { slots.deallocate() }

    func receive(into batch: FrameBatch) -> Int { 0 }
    func releaseReceived(_ batch: FrameBatch) { batch.removeAll() }

    func reserveTransmit(into batch: FrameBatch, count: Int) -> Int {
        let granted = min(count, slotCount - batch.count, batch.capacity - batch.count)
        guard granted > 0 else { return 0 }
        for _ in 0..<granted {
            batch.append(Frame(bytes: slots + batch.count * Self.slotSize, length: 0, capacity: maximumFrameLength))
        }
        return granted
    }

    func commitTransmit(_ batch: FrameBatch) -> Int {
        var sent = 0
        for index in 0..<batch.count where batch[index].length > 0 {
            sent += 1
            statistics.transmittedBytes &+= UInt64(batch[index].length)
        }
        statistics.transmittedFrames &+= UInt64(sent)
        batch.removeAll()
        return sent
    }

    func poll() {}
    func waitForFrames(timeoutNanoseconds: Int64) -> Bool { false }
}
