import FlexWire

/// An Ethernet switch joining in-process hosts, for experiments with many senders (incast) on one
/// thread and virtual time: host `i` sends and receives on `hostPort(i)`; every frame it sends goes
/// through its uplink (a `LinkEmulator` with `uplink` settings, e.g. the NIC's line rate) to the
/// switch, which forwards it by destination MAC to the egress link of the host with that address (a
/// `LinkEmulator` with that host's `egress` settings: rate, drop-tail queue, ECN marking above K,
/// loss, delay). Broadcast and multicast frames go to every other host; frames to an unknown unicast
/// address are dropped and counted in `unknownDestinationDrops`.
///
/// Contract: one thread. Hosts use their ports as any `Port`; `forward()` moves the frames the hosts
/// sent into the egress links and hands over those that are due (call it once per step of the
/// experiment, after advancing the time source); it takes the hosts' frames in host order. Host `i`'s MAC address is `macAddress(ofHost: i)`.
/// Deterministic for the same settings, seeds and calls.
public final class EmulatedSwitch {
    public let hostCount: Int
    private let uplinks: [LinkEmulator]
    private let egressLinks: [LinkEmulator]
    private let batch: FrameBatch
    private let forwarding: FrameBatch
    public private(set) var unknownDestinationDrops: UInt64 = 0

    /// - Parameters:
    ///   - hostCount: 2 ... 250 hosts.
    ///   - maximumFrameLength: the largest frame, Ethernet header included.
    ///   - uplink: settings of host `i`'s link into the switch.
    ///   - egress: settings of the switch's link to host `i`.
    public init(hostCount: Int, maximumFrameLength: Int, timeSource: any TimeSource,
                uplink: (Int) -> LinkEmulatorSettings, egress: (Int) -> LinkEmulatorSettings) throws {
        precondition((2...250).contains(hostCount), "an emulated switch joins 2 ... 250 hosts")
        self.hostCount = hostCount
        var uplinks: [LinkEmulator] = []
        var egressLinks: [LinkEmulator] = []
        for host in 0..<hostCount {
            let wire = try MemoryWire(capacity: 4096, maximumFrameLength: maximumFrameLength,
                                      macAddresses: (Self.macAddress(ofHost: host), MACAddress(0x02, 0x5e, 0, 0, 0, UInt8(host))))
            uplinks.append(LinkEmulator(wrapping: wire.a, settings: uplink(host), timeSource: timeSource))
            egressLinks.append(LinkEmulator(wrapping: wire.b, settings: egress(host), timeSource: timeSource))
        }
        self.uplinks = uplinks
        self.egressLinks = egressLinks
        batch = FrameBatch(capacity: 64)
        forwarding = FrameBatch(capacity: 1)
    }

    /// The address of host `index`'s port: 02:00:00:00:01:index.
    public static func macAddress(ofHost index: Int) -> MACAddress { MACAddress(0x02, 0, 0, 0, 0x01, UInt8(index)) }

    /// Where host `index` sends and receives.
    public func hostPort(_ index: Int) -> any Port { uplinks[index] }

    /// The switch's link towards host `index` (its queue and statistics).
    public func egress(_ index: Int) -> LinkEmulator { egressLinks[index] }

    /// Host `index`'s link into the switch.
    public func uplink(_ index: Int) -> LinkEmulator { uplinks[index] }

    /// Hands over due frames on every link and forwards what the hosts sent.
    public func forward() {
        for uplink in uplinks { uplink.poll() }
        for ingress in 0..<hostCount {
            let switchSide = egressLinks[ingress]
            while switchSide.receive(into: batch) > 0 {
                for index in 0..<batch.count { forward(batch[index], from: ingress) }
                switchSide.releaseReceived(batch)
            }
        }
        for egress in egressLinks { egress.poll() }
    }

    private func forward(_ frame: Frame, from ingress: Int) {
        guard frame.length >= EthernetRepr.untaggedHeaderLength else { return }
        let destination = frame.bytes.load(as: UInt8.self)
        // The group bit of the first octet: broadcast or multicast.
        if destination & 1 == 1 {
            for host in 0..<hostCount where host != ingress { send(frame, to: host) }
            return
        }
        let octets = UnsafeRawBufferPointer(start: frame.bytes, count: 6)
        let isHost = octets[0] == 0x02 && octets[1] == 0 && octets[2] == 0 && octets[3] == 0 && octets[4] == 0x01
        guard isHost, Int(octets[5]) < hostCount else {
            unknownDestinationDrops &+= 1
            return
        }
        send(frame, to: Int(octets[5]))
    }

    private func send(_ frame: Frame, to host: Int) {
        let link = egressLinks[host]
        guard link.reserveTransmit(into: forwarding, count: 1) == 1 else { return }
        var slot = forwarding[0]
        slot.bytes.copyMemory(from: frame.bytes, byteCount: frame.length)
        slot.length = frame.length
        slot.flags = frame.flags
        forwarding[0] = slot
        _ = link.commitTransmit(forwarding)
    }
}
