// Shared set-up for the network-layer tests: a NetworkHost on one end of a MemoryWire, driven in
// virtual time, and the test playing the peer on the other end with frames built by FlexWire.
@testable import FlexTCPCore
import FlexPort
import FlexTestSupport
import FlexWire
import Testing

enum Peer {
    static let hostAddress = IPv4Address(198, 18, 0, 1)
    static let address = IPv4Address(198, 18, 0, 2)
    static let otherAddress = IPv4Address(198, 18, 0, 3)
    static let subnetBroadcast = IPv4Address(198, 18, 0, 255)
    static let offSubnet = IPv4Address(198, 19, 7, 7)
    static let gateway = IPv4Address(198, 18, 0, 254)
    static let hostMAC = MACAddress(0x02, 0, 0, 0, 0, 0x0a)
    static let mac = MACAddress(0x02, 0, 0, 0, 0, 0x0b)
    static let otherMAC = MACAddress(0x02, 0, 0, 0, 0, 0x0c)
    static let millisecond: UInt64 = 1_000_000
}

/// A NetworkHost at 198.18.0.1/24 on end A of a `TestWire` (virtual time from 0); the test sends
/// and receives raw frames on `wire.b`.
final class WireHarness {
    let link: TestWire
    var wire: MemoryWire { link.wire }
    var clock: VirtualTimeSource { link.clock }
    let host: NetworkHost
    var peer: MemoryWireEndpoint { wire.b }

    init(arp: ARPConfiguration = ARPConfiguration(), gateway: IPv4Address? = nil,
         capacity: Int = 1024, overflowCapacity: Int = 64,
         configure: (inout NetworkHostConfiguration) -> Void = { _ in }) throws {
        link = try TestWire(capacity: capacity, overflowCapacity: overflowCapacity, start: 0)
        var configuration = NetworkHostConfiguration(interface: try InterfaceAddress(address: Peer.hostAddress, prefixLength: 24),
                                                     gateway: gateway)
        configuration.arp = arp
        configure(&configuration)
        host = try NetworkHost(port: link.portA, configuration: configuration)
    }

    var now: UInt64 { clock.now() }

    /// Puts `frames` on the wire towards the host and lets it poll once.
    func deliver(_ frames: [UInt8]...) {
        for frame in frames { #expect(peer.transmit(frame), "the wire took no frame") }
        host.poll(now: now)
    }

    /// Moves virtual time to `time` and lets the host poll.
    func advance(to time: UInt64) {
        clock.set(to: time)
        host.poll(now: time)
    }

    /// The frames the host has sent since the last call.
    func sentFrames() -> [[UInt8]] { peer.receiveCopies(maximum: 1024) }

    /// The host's events since the last call.
    func events() -> [NetworkEvent] {
        var events: [NetworkEvent] = []
        host.drainEvents { events.append($0) }
        return events
    }

    var drops: DropCounts { host.statistics.drops }

    /// Lets the host learn the peer (it answers the peer's ARP request) and discards the reply.
    func introducePeer() {
        deliver(Frames.arp(.request, from: (Peer.mac, Peer.address), to: (.zero, Peer.hostAddress)))
        _ = sentFrames()
    }
}

/// Frames the peer sends, built with FlexWire.
enum Frames {
    static func arp(_ operation: ARPRepr.Operation, from sender: (MACAddress, IPv4Address), to target: (MACAddress, IPv4Address),
                    ethernetDestination: MACAddress = .broadcast, ethernetSource: MACAddress = Peer.mac) -> [UInt8] {
        let arp = ARPRepr(operation: operation, senderHardwareAddress: sender.0, senderProtocolAddress: sender.1,
                          targetHardwareAddress: target.0, targetProtocolAddress: target.1)
        return padded(try! FrameHeaders(ethernet: EthernetRepr(destination: ethernetDestination, source: ethernetSource, etherType: .arp),
                                        network: .arp(arp)).frame())
    }

    static func icmp(_ message: ICMPv4Repr, payload: [UInt8] = [], from source: IPv4Address = Peer.address,
                     to destination: IPv4Address = Peer.hostAddress, ethernetDestination: MACAddress = Peer.hostMAC,
                     ethernetSource: MACAddress = Peer.mac, timeToLive: UInt8 = 64, identification: UInt16 = 0x77) -> [UInt8] {
        let ip = IPv4Repr(source: source, destination: destination, protocolNumber: .icmp, payloadLength: 0,
                          timeToLive: timeToLive, identification: identification)
        return padded(try! FrameHeaders(ethernet: EthernetRepr(destination: ethernetDestination, source: ethernetSource, etherType: .ipv4),
                                        network: .ipv4(ip, .icmp(message))).frame(payload: payload))
    }

    static func echoRequest(sequenceNumber: UInt16 = 1, identifier: UInt16 = 0x1234, payload: [UInt8] = Array(0..<32),
                            from source: IPv4Address = Peer.address, to destination: IPv4Address = Peer.hostAddress,
                            ethernetDestination: MACAddress = Peer.hostMAC) -> [UInt8] {
        icmp(.echoRequest(identifier: identifier, sequenceNumber: sequenceNumber), payload: payload, from: source, to: destination,
             ethernetDestination: ethernetDestination)
    }

    /// Pads to the 60-byte Ethernet minimum, as a NIC would.
    static func padded(_ frame: [UInt8]) -> [UInt8] { frame + [UInt8](repeating: 0, count: max(0, 60 - frame.count)) }

    static func parse(_ frame: [UInt8]) -> ParsedFrame? {
        frame.withUnsafeBytes { try? ParsedFrame(parsing: $0) }
    }

    /// The ARP packet in `frame`, or nil.
    static func arpPacket(in frame: [UInt8]) -> ARPRepr? {
        guard case let .arp(arp)? = parse(frame)?.headers.network else { return nil }
        return arp
    }

    /// True when `frame` is a broadcast ARP request from the host asking for `target`.
    static func isARPRequest(_ frame: [UInt8], for target: IPv4Address) -> Bool {
        guard let parsed = parse(frame), case let .arp(arp) = parsed.headers.network else { return false }
        return parsed.headers.ethernet.destination == .broadcast && arp.operation == .request
            && arp.senderHardwareAddress == Peer.hostMAC && arp.senderProtocolAddress == Peer.hostAddress
            && arp.targetHardwareAddress == .zero && arp.targetProtocolAddress == target
    }

    /// The ICMP header and IPv4 header of `frame`, or nil.
    static func icmpMessage(in frame: [UInt8]) -> (ip: IPv4Repr, icmp: ICMPv4Repr, ethernet: EthernetRepr)? {
        guard let parsed = parse(frame), case let .ipv4(ip, .icmp(icmp)) = parsed.headers.network else { return nil }
        return (ip, icmp, parsed.headers.ethernet)
    }
}
