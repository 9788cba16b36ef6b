import FlexPort
import FlexWire

/// A port that behaves like AF_PACKET on a veth whose peer uses GSO: it sends frames of at most
/// 1514 bytes (MTU 1500, so the stack's MSS is 1460) but hands up whatever the wrapped port
/// receives, frames longer than 1514 bytes flagged `.superSegment`. Counts the super-segments
/// that carried a FIN.
final class SuperSegmentPort: Port {
    let inner: any Port
    let maximumFrameLength = 1514
    private(set) var superSegmentsWithFIN = 0

    init(wrapping inner: any Port) { self.inner = inner }

    var macAddress: MACAddress { inner.macAddress }
    var statistics: PortStatistics { inner.statistics }

    func receive(into batch: FrameBatch) -> Int {
        let first = batch.count
        let received = inner.receive(into: batch)
        for index in first..<batch.count where batch[index].length > maximumFrameLength {
            var frame = batch[index]
            frame.flags.insert(.superSegment)
            batch[index] = frame
            // Untagged IPv4 without options: the TCP flags byte sits at 14 + 20 + 13.
            if frame.bytes.load(fromByteOffset: 47, as: UInt8.self) & TCPFlags.fin.rawValue != 0 { superSegmentsWithFIN += 1 }
        }
        return received
    }

    func releaseReceived(_ batch: FrameBatch) { inner.releaseReceived(batch) }
    func reserveTransmit(into batch: FrameBatch, count: Int) -> Int { inner.reserveTransmit(into: batch, count: count) }
    func commitTransmit(_ batch: FrameBatch) -> Int { inner.commitTransmit(batch) }
    func poll() { inner.poll() }
    func waitForFrames(timeoutNanoseconds: Int64) -> Bool { inner.waitForFrames(timeoutNanoseconds: timeoutNanoseconds) }
}
