import FlexPort
import FlexWire

/// Wraps a port and records what its transmit side is asked for: the slots requested and reserved,
/// and a copy of every committed frame (bytes and flags), one array per commit. Everything else,
/// checksum offload included, is the wrapped port's.
public final class TransmitRecordingPort: Port {
    /// A committed frame as it was handed to the wrapped port.
    public struct CommittedFrame {
        public var bytes: [UInt8]
        public var flags: FrameFlags
    }

    public let inner: any Port
    public private(set) var slotsRequested = 0
    public private(set) var slotsReserved = 0
    public private(set) var commits: [[CommittedFrame]] = []

    public init(wrapping inner: any Port) { self.inner = inner }

    /// Every frame committed so far, in order (zero-length slots left out).
    public var committedFrames: [CommittedFrame] { commits.flatMap { $0 }.filter { !$0.bytes.isEmpty } }

    public var macAddress: MACAddress { inner.macAddress }
    public var maximumFrameLength: Int { inner.maximumFrameLength }
    public var statistics: PortStatistics { inner.statistics }
    public var transmitChecksumOffload: TransmitChecksumOffload { inner.transmitChecksumOffload }

    public func receive(into batch: FrameBatch) -> Int { inner.receive(into: batch) }
    public func releaseReceived(_ batch: FrameBatch) { inner.releaseReceived(batch) }

    public func reserveTransmit(into batch: FrameBatch, count: Int) -> Int {
        slotsRequested += count
        let reserved = inner.reserveTransmit(into: batch, count: count)
        slotsReserved += reserved
        return reserved
    }

    public func commitTransmit(_ batch: FrameBatch) -> Int {
        commits.append((0..<batch.count).map { CommittedFrame(bytes: Array(batch[$0].buffer), flags: batch[$0].flags) })
        return inner.commitTransmit(batch)
    }

    public func poll() { inner.poll() }
    public func waitForFrames(timeoutNanoseconds: Int64) -> Bool { inner.waitForFrames(timeoutNanoseconds: timeoutNanoseconds) }
}
