import FlexPort
import FlexWire
import Testing

@Suite struct EmulatedSwitchTests {
    /// A frame from host `source` to `destination` (a MAC), carrying `sequence`.
    static func frame(to destination: MACAddress, from source: Int, sequence: UInt32, length: Int = 1000) -> [UInt8] {
        addressed(sequencedFrame(sequence, length: length), to: destination, from: source)
    }

    /// `frame` with its Ethernet addresses set.
    static func addressed(_ frame: [UInt8], to destination: MACAddress, from source: Int) -> [UInt8] {
        var frame = frame
        withUnsafeBytes(of: destination.octets) { for offset in 0..<6 { frame[offset] = $0[offset] } }
        withUnsafeBytes(of: EmulatedSwitch.macAddress(ofHost: source).octets) { for offset in 0..<6 { frame[6 + offset] = $0[offset] } }
        return frame
    }

    @Test("Unicast goes to the addressed host only, broadcast to every other host, unknown addresses are counted drops")
    func forwardsByDestinationAddress() throws {
        let clock = VirtualTimeSource()
        let fabric = try EmulatedSwitch(hostCount: 3, maximumFrameLength: 1514, timeSource: clock,
                                        uplink: { _ in LinkEmulatorSettings() }, egress: { _ in LinkEmulatorSettings() })
        #expect(fabric.hostPort(2).transmit(Self.frame(to: EmulatedSwitch.macAddress(ofHost: 1), from: 2, sequence: 7)))
        #expect(fabric.hostPort(0).transmit(Self.frame(to: MACAddress(0xff, 0xff, 0xff, 0xff, 0xff, 0xff), from: 0, sequence: 8)))
        #expect(fabric.hostPort(0).transmit(Self.frame(to: MACAddress(0x02, 0, 0, 0, 0x01, 9), from: 0, sequence: 9)))
        fabric.forward()
        #expect(sequences(of: drainFrames(fabric.hostPort(0))) == [])
        // One forward takes the hosts' frames in host order: host 0's broadcast before host 2's frame.
        #expect(sequences(of: drainFrames(fabric.hostPort(1))) == [8, 7])
        #expect(sequences(of: drainFrames(fabric.hostPort(2))) == [8])
        #expect(fabric.unknownDestinationDrops == 1)
        #expect(fabric.hostPort(1).macAddress == EmulatedSwitch.macAddress(ofHost: 1))
    }

    @Test("Senders faster than the egress link queue at the switch: marking above K, drops beyond the limit, delivery at the egress rate")
    func incastQueuesAtTheEgress() throws {
        let clock = VirtualTimeSource()
        var egress = LinkEmulatorSettings()
        egress.rateBitsPerSecond = 1_000_000_000
        egress.queueLimit = 30
        egress.ecnMarkingThreshold = 10
        let fabric = try EmulatedSwitch(hostCount: 4, maximumFrameLength: 1514, timeSource: clock,
                                        uplink: { _ in LinkEmulatorSettings() }, egress: { _ in egress })
        // Hosts 1...3 send 20 ECT frames each to host 0 at once: 60 frames meet a 30-frame queue.
        for sender in 1...3 {
            for sequence in 0..<20 {
                let frame = Self.addressed(ipv4Frame(ecn: 0b10, sequence: UInt32(sender * 100 + sequence), length: 1000),
                                           to: EmulatedSwitch.macAddress(ofHost: 0), from: sender)
                #expect(fabric.hostPort(sender).transmit(frame))
            }
        }
        fabric.forward()
        let link = fabric.egress(0)
        #expect(link.emulatorStatistics.droppedByQueue == 30)
        #expect(link.emulatorStatistics.maximumQueuedFrames == 30)
        #expect(link.emulatorStatistics.marked == 20 - 1)
        // 1,000-byte frames at 1 Gbit/s: one every 8 µs.
        clock.set(to: 8_000 * 10)
        fabric.forward()
        #expect(drainFrames(fabric.hostPort(0)).count == 10)
        clock.set(to: 8_000 * 30)
        fabric.forward()
        #expect(drainFrames(fabric.hostPort(0)).count == 20)
        #expect(link.queuedFrames == 0)
    }
}
