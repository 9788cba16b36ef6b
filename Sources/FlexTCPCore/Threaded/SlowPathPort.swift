import FlexPort
import FlexWire

/// The port of a slow path on its own thread (its `NetworkHost` sends and receives through it):
/// it receives the exception frames the fast path copied to the `exceptions` ring, and transmits
/// onto the `slowPathFrames` ring, naming each commit's frames to the fast path by a
/// `transmitFrames` command (`FastPathLink.transmitted`), which sends them on the real port.
///
/// Contract: used on the slow path's thread only; the MAC address and frame length are the real
/// port's. It has no readiness descriptor: the slow path's thread sleeps on its own signal with
/// the rings armed (`StackRuntime`). Frames that find the ring full are transmit drops.
final class SlowPathPort: Port {
    let macAddress: MACAddress
    let maximumFrameLength: Int
    private let rings: ThreadLinkRings
    private unowned let link: FastPathLink

    init(macAddress: MACAddress, maximumFrameLength: Int, rings: ThreadLinkRings, link: FastPathLink) {
        self.macAddress = macAddress
        self.maximumFrameLength = maximumFrameLength
        self.rings = rings
        self.link = link
    }

    var statistics: PortStatistics { PortStatistics(transmittingOn: rings.slowPathFrames.ring, receivingFrom: rings.exceptions.ring) }

    func receive(into batch: FrameBatch) -> Int { rings.exceptions.consumer.receive(into: batch) }

    func releaseReceived(_ batch: FrameBatch) { rings.exceptions.consumer.release(batch) }

    func reserveTransmit(into batch: FrameBatch, count: Int) -> Int { rings.slowPathFrames.producer.reserve(into: batch, count: count) }

    func commitTransmit(_ batch: FrameBatch) -> Int {
        let published = rings.slowPathFrames.producer.commit(batch)
        link.transmitted(frames: published)
        return published
    }

    func poll() {}

    func waitForFrames(timeoutNanoseconds: Int64) -> Bool { rings.exceptions.consumer.waitForFrames(timeoutNanoseconds: timeoutNanoseconds) }
}
