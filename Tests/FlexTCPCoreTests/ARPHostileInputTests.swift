@testable import FlexTCPCore
import FlexPort
import FlexWire
import Testing

private let requestForUs = Frames.arp(.request, from: (Peer.mac, Peer.address), to: (.zero, Peer.hostAddress))

/// `requestForUs` with the bytes at `offset` replaced.
private func modifiedRequest(at offset: Int, _ bytes: [UInt8]) -> [UInt8] {
    var frame = requestForUs
    frame.replaceSubrange(offset..<offset + bytes.count, with: bytes)
    return frame
}

@Suite struct ARPHostileInputTests {
    @Test("malformed or unsupported ARP is a counted drop, never answered", arguments: [
        (Array(requestForUs[0..<34]), DropReason.malformed),          // 20 of the 28 ARP bytes
        (modifiedRequest(at: 14, [0x00, 0x06]), .arpUnsupported),      // hardware type IEEE 802
        (modifiedRequest(at: 16, [0x86, 0xdd]), .arpUnsupported),      // protocol type IPv6
        (modifiedRequest(at: 18, [8, 4]), .arpUnsupported),            // hardware address length 8
        (modifiedRequest(at: 20, [0x00, 0x03]), .arpUnsupported),      // RARP request
        (modifiedRequest(at: 22, MACAddress.broadcast.bytes), .arpInvalidSender),
        (modifiedRequest(at: 22, MACAddress.zero.bytes), .arpInvalidSender),
        (modifiedRequest(at: 28, [198, 18, 0, 1]), .arpAddressConflict),   // claims our address
        (modifiedRequest(at: 28, [198, 19, 7, 7]), .arpSenderOffSubnet),
        (modifiedRequest(at: 28, [198, 18, 0, 255]), .arpSenderOffSubnet), // the subnet's broadcast address
        (modifiedRequest(at: 0, Peer.otherMAC.bytes), .notForThisHost),
        (modifiedRequest(at: 6, [0x01, 0, 0x5e, 0, 0, 1]), .invalidSource),
        (Frames.arp(.reply, from: (Peer.mac, .any), to: (Peer.hostMAC, Peer.hostAddress)), .arpInvalidSender),
    ])
    func badARPIsCountedDrop(frame: [UInt8], reason: DropReason) throws {
        let harness = try WireHarness()
        harness.deliver(frame)
        #expect(harness.sentFrames().isEmpty)
        #expect(harness.drops[reason] == 1)
        #expect(harness.drops.total == 1)
        #expect(harness.host.neighbours(now: 0).isEmpty)
    }

    @Test("a conflicting claim does not overwrite what the host knows of itself or others")
    func conflictTeachesNothing() throws {
        let harness = try WireHarness()
        harness.introducePeer()
        harness.deliver(Frames.arp(.request, from: (Peer.otherMAC, Peer.hostAddress), to: (.zero, Peer.address)))
        #expect(harness.host.neighbour(for: Peer.address, now: 0)?.hardwareAddress == Peer.mac)
        #expect(harness.host.neighbour(for: Peer.hostAddress, now: 0) == nil)
    }

    @Test("a flood of requests from distinct senders: every one answered, the table stays at its capacity")
    func requestFlood() throws {
        var arp = ARPConfiguration()
        arp.cacheCapacity = 32
        let harness = try WireHarness(arp: arp)
        var answered = 0
        for chunk in 0..<20 {
            for index in 0..<200 {
                let sender = 2 + chunk * 200 + index
                let mac = MACAddress(0x02, 0xee, 0, 0, UInt8(sender >> 8), UInt8(sender & 0xff))
                let address = IPv4Address(198, 18, UInt8(sender >> 8), UInt8(sender & 0xff))
                #expect(harness.peer.transmit(Frames.arp(.request, from: (mac, address), to: (.zero, Peer.hostAddress),
                                                         ethernetSource: mac)))
            }
            for _ in 0..<4 { harness.host.poll(now: UInt64(chunk)) }
            answered += harness.sentFrames().count
        }
        // The /24 subnet holds senders 2...254; the rest of the flood is off the subnet.
        #expect(answered == 253)
        #expect(harness.drops[.arpSenderOffSubnet] == 4000 - 253)
        #expect(harness.host.neighbours(now: 20).count == 32)
    }

    @Test("random bytes, as ARP and as IPv4, never trap and are all accounted for")
    func randomFrames() throws {
        let harness = try WireHarness()
        var random = SeededRandom(seed: 7)
        for round in 0..<4000 {
            let length = Int.random(in: 1...80, using: &random)
            var frame = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            if length >= 14 {
                frame.replaceSubrange(0..<6, with: round % 3 == 0 ? MACAddress.broadcast.bytes : Peer.hostMAC.bytes)
                frame[6] &= 0xfe
                frame.replaceSubrange(12..<14, with: round % 2 == 0 ? [0x08, 0x06] : [0x08, 0x00])
                if length >= 15 && round % 2 == 1 { frame[14] = 0x45 }
            }
            #expect(harness.peer.transmit(frame))
            harness.host.poll(now: UInt64(round))
            _ = harness.sentFrames()
        }
        let statistics = harness.host.statistics
        #expect(statistics.receivedFrames == 4000)
        #expect(statistics.drops.total + statistics.arpRequestsAnswered + statistics.arpRepliesReceived + statistics.echoRequestsAnswered <= 4000)
        #expect(statistics.drops[.malformed] > 0)
    }

    @Test("a frame of zero bytes handed in directly is a counted drop")
    func emptyFrame() throws {
        let harness = try WireHarness()
        var byte: UInt8 = 0
        withUnsafeMutableBytes(of: &byte) { bytes in
            harness.host.handleFrame(Frame(bytes: bytes.baseAddress!, length: 0, capacity: 1), now: 0)
        }
        #expect(harness.drops[.malformed] == 1)
    }
}
