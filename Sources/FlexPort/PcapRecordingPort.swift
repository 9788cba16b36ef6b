import FlexWire

/// Middleware that records, with a `PcapWriter`, every frame the wrapped port receives and every
/// frame committed for transmit through it (including any the wrapped port then drops), in call order.
///
/// Contract: otherwise behaves exactly like the wrapped port, except that it offers no checksum
/// offload (`transmitChecksumOffload` is `.none` whatever the wrapped port offers), so every frame a
/// sender commits through it carries complete checksums and the recording shows them valid. Because
/// receive and transmit share one writer, all calls come from one thread at a time. The writer is
/// not closed by this port.
public final class PcapRecordingPort: Port {
    public let inner: any Port
    public let writer: PcapWriter

    public init(wrapping inner: any Port, writer: PcapWriter) {
        self.inner = inner
        self.writer = writer
    }

    public var macAddress: MACAddress { inner.macAddress }
    public var maximumFrameLength: Int { inner.maximumFrameLength }
    public var statistics: PortStatistics { inner.statistics }

    public func receive(into batch: FrameBatch) -> Int {
        let first = batch.count
        let received = inner.receive(into: batch)
        if received > 0 { record(batch, from: first) }
        return received
    }

    public func releaseReceived(_ batch: FrameBatch) { inner.releaseReceived(batch) }

    public func reserveTransmit(into batch: FrameBatch, count: Int) -> Int {
        inner.reserveTransmit(into: batch, count: count)
    }

    public func commitTransmit(_ batch: FrameBatch) -> Int {
        record(batch, from: 0)
        return inner.commitTransmit(batch)
    }

    public func poll() { inner.poll() }

    public func waitForFrames(timeoutNanoseconds: Int64) -> Bool {
        inner.waitForFrames(timeoutNanoseconds: timeoutNanoseconds)
    }

    public var readinessDescriptor: Int32? { inner.readinessDescriptor }
    public func armReadiness() -> Bool { inner.armReadiness() }
    public func disarmReadiness() { inner.disarmReadiness() }

    /// Writes the frames of `batch` from position `first` on that have a valid length.
    private func record(_ batch: FrameBatch, from first: Int) {
        let timestamp = writer.timestamp()
        for position in first..<batch.count {
            let frame = batch[position]
            guard frame.length > 0 && frame.length <= frame.capacity else { continue }
            writer.write(frame.buffer, timestampNanoseconds: timestamp)
        }
    }
}
