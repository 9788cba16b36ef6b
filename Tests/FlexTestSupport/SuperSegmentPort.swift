import FlexPort
import FlexWire

/// A port that behaves like AF_PACKET on a veth whose peer uses GSO: it sends frames of at most
/// 1514 bytes (MTU 1500, so the stack's MSS is 1460) but hands up whatever the wrapped port
/// receives, frames longer than 1514 bytes flagged `.superSegment`. Counts the super-segments
/// that carried a FIN.
public final class SuperSegmentPort: Port {
    public let inner: any Port
    public let maximumFrameLength = 1514
    public private(set) var superSegmentsWithFIN = 0

    public init(wrapping inner: any Port) { self.inner = inner }

    public var macAddress: MACAddress { inner.macAddress }
    public var statistics: PortStatistics { inner.statistics }

    public func receive(into batch: FrameBatch) -> Int {
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

    public func releaseReceived(_ batch: FrameBatch) { inner.releaseReceived(batch) }
    public func reserveTransmit(into batch: FrameBatch, count: Int) -> Int { inner.reserveTransmit(into: batch, count: count) }
    public func commitTransmit(_ batch: FrameBatch) -> Int { inner.commitTransmit(batch) }
    public func poll() { inner.poll() }
    public func waitForFrames(timeoutNanoseconds: Int64) -> Bool { inner.waitForFrames(timeoutNanoseconds: timeoutNanoseconds) }
}
