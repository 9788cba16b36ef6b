import FlexPort
import FlexWire
import Testing
@testable import FlexTCPCore

/// Cuts whole test datagrams into IPv4 fragments, byte by byte as a sender's IP layer would.
enum Fragmenter {
    static let ethernetLength = 14

    /// A whole datagram (DF clear, so that its reassembly is byte-identical) carrying `transport` and
    /// `payload`; with `.other`, `payload` is the whole IP payload of protocol `protocolNumber`.
    static func datagram(_ transport: FrameHeaders.Transport = .other, payload: [UInt8], protocolNumber: IPProtocol = .udp,
                         identification: UInt16 = 0x4242, from source: (MACAddress, IPv4Address) = (Peer.mac, Peer.address),
                         to destination: (MACAddress, IPv4Address) = (Peer.hostMAC, Peer.hostAddress)) -> [UInt8] {
        let ip = IPv4Repr(source: source.1, destination: destination.1, protocolNumber: protocolNumber, payloadLength: 0,
                          identification: identification, dontFragment: false)
        let headers = FrameHeaders(ethernet: EthernetRepr(destination: destination.0, source: source.0, etherType: .ipv4),
                                   network: .ipv4(ip, transport))
        return try! headers.frame(payload: payload)
    }

    /// The echo replies among `frames`, with their payloads.
    static func echoReplies(in frames: [[UInt8]]) -> [(identifier: UInt16, sequenceNumber: UInt16, payload: [UInt8])] {
        frames.compactMap { frame in
            guard let parsed = frame.withUnsafeBytes({ try? ParsedFrame(parsing: $0) }),
                  case let .ipv4(_, .icmp(.echoReply(identifier, sequenceNumber))) = parsed.headers.network else { return nil }
            return (identifier, sequenceNumber, Array(frame[parsed.payloadRange]))
        }
    }

    /// The IP payload of a whole (or fragment) frame.
    static func payload(of frame: [UInt8]) -> [UInt8] { Array(frame[(ethernetLength + headerLength(of: frame))...]) }

    static func headerLength(of frame: [UInt8]) -> Int { Int(frame[ethernetLength] & 0x0f) * 4 }

    /// One fragment with `whole`'s headers carrying `payload` at byte `offset`.
    static func fragment(of whole: [UInt8], payload: [UInt8], offset: Int, moreFragments: Bool) -> [UInt8] {
        let ipLength = headerLength(of: whole)
        var frame = Array(whole[0..<(ethernetLength + ipLength)]) + payload
        store(UInt16(ipLength + payload.count), in: &frame, at: ethernetLength + 2)
        store((moreFragments ? 0x2000 : 0) | UInt16(offset / 8), in: &frame, at: ethernetLength + 6)
        store(0, in: &frame, at: ethernetLength + 10)
        let checksum = frame[ethernetLength...].withUnsafeBytes { InternetChecksum.checksum($0.baseAddress!, count: ipLength) }
        store(checksum, in: &frame, at: ethernetLength + 10)
        return frame
    }

    /// The fragment of `whole` with its payload bytes `range`.
    static func fragment(of whole: [UInt8], _ range: Range<Int>, moreFragments: Bool? = nil) -> [UInt8] {
        let payload = payload(of: whole)
        return fragment(of: whole, payload: Array(payload[range]), offset: range.lowerBound,
                        moreFragments: moreFragments ?? (range.upperBound < payload.count))
    }

    /// `whole` cut before each payload offset in `cuts` (multiples of 8, ascending), in order.
    static func split(_ whole: [UInt8], at cuts: [Int]) -> [[UInt8]] {
        let bounds = [0] + cuts + [payload(of: whole).count]
        return zip(bounds, bounds.dropFirst()).map { fragment(of: whole, $0..<$1) }
    }

    /// `whole` with IP options after its 20-byte header (a multiple of 4 bytes), lengths and checksum fixed.
    static func withOptions(_ whole: [UInt8], _ options: [UInt8]) -> [UInt8] {
        let ipStart = ethernetLength
        var frame = Array(whole[0..<(ipStart + 20)]) + options + whole[(ipStart + 20)...]
        frame[ipStart] = 0x40 | UInt8((20 + options.count) / 4)
        store(UInt16(frame.count - ipStart), in: &frame, at: ipStart + 2)
        store(0, in: &frame, at: ipStart + 10)
        let checksum = frame[ipStart...].withUnsafeBytes { InternetChecksum.checksum($0.baseAddress!, count: 20 + options.count) }
        store(checksum, in: &frame, at: ipStart + 10)
        return frame
    }

    static func store(_ value: UInt16, in frame: inout [UInt8], at offset: Int) {
        frame[offset] = UInt8(value >> 8)
        frame[offset + 1] = UInt8(value & 0xff)
    }
}

/// A reassembler fed test frames, on a virtual clock.
final class ReassemblerHarness {
    enum Offered: Equatable {
        case held
        case discarded
        case completed([UInt8])
    }

    let reassembler: FragmentReassembler
    var now: UInt64 = 1_000

    init(_ adjust: (inout ReassemblyConfiguration) -> Void = { _ in }) {
        var configuration = ReassemblyConfiguration()
        adjust(&configuration)
        reassembler = FragmentReassembler(configuration: configuration)
    }

    var statistics: ReassemblyStatistics { reassembler.statistics }

    func offer(_ frame: [UInt8]) -> Offered {
        frame.withUnsafeBytes { bytes in
            let packet = try! IPv4Packet(checking: bytes.baseAddress! + Fragmenter.ethernetLength, length: bytes.count - Fragmenter.ethernetLength)
            let linkHeader = UnsafeRawBufferPointer(rebasing: bytes[0..<Fragmenter.ethernetLength])
            switch reassembler.insert(packet, linkHeader: linkHeader, now: now) {
            case .held: return .held
            case .discarded: return .discarded
            case let .completed(datagram): return .completed(Array(datagram.buffer))
            }
        }
    }

    /// Offers each frame; returns what the last one did.
    @discardableResult
    func offer(all frames: [[UInt8]]) -> Offered {
        var last = Offered.held
        for frame in frames { last = offer(frame) }
        return last
    }
}

@Suite("IPv4 fragment reassembly (RFC 791, RFC 815, RFC 1122 §3.3.2, RFC 5722's caution)")
struct FragmentReassemblyTests {
    static let whole = Fragmenter.datagram(payload: StackPair.pattern(count: 3000, seed: 11))
    static let cuts = [1480, 2960]

    @Test("fragments in order give back the datagram exactly as it was sent whole")
    func inOrder() {
        let harness = ReassemblerHarness()
        let fragments = Fragmenter.split(Self.whole, at: Self.cuts)
        #expect(harness.offer(fragments[0]) == .held)
        #expect(harness.offer(fragments[1]) == .held)
        #expect(harness.offer(fragments[2]) == .completed(Self.whole))
        #expect(harness.statistics.fragmentsReceived == 3 && harness.statistics.datagramsReassembled == 1)
        #expect(harness.reassembler.datagramCount == 0 && harness.reassembler.heldBytes == 0)
        #expect(harness.reassembler.nextDeadline == .max)
    }

    @Test("fragments in every order give back the same datagram")
    func outOfOrder() {
        let fragments = Fragmenter.split(Self.whole, at: [8, 1480, 2000, 2960])
        var orders: [[Int]] = [[]]
        for next in fragments.indices {
            orders = orders.flatMap { order in (0...order.count).map { var o = order; o.insert(next, at: $0); return o } }
        }
        #expect(orders.count == 120)
        for order in orders {
            let harness = ReassemblerHarness()
            #expect(harness.offer(all: order.map { fragments[$0] }) == .completed(Self.whole), "\(order)")
            #expect(harness.statistics.totalDrops == 0)
        }
    }

    @Test("an exact duplicate is ignored; the datagram still completes once")
    func duplicates() {
        let harness = ReassemblerHarness()
        let fragments = Fragmenter.split(Self.whole, at: Self.cuts)
        #expect(harness.offer(all: [fragments[1], fragments[0], fragments[1], fragments[0]]) == .discarded)
        #expect(harness.offer(fragments[2]) == .completed(Self.whole))
        #expect(harness.statistics.duplicateFragments == 2 && harness.statistics.totalDrops == 0)
        // After completion the same fragments start a new datagram (the sender may reuse the identification later).
        #expect(harness.offer(fragments[2]) == .held)
    }

    @Test("an overlap drops the whole datagram and its later fragments until the timeout (RFC 5722)")
    func overlaps() {
        let payload = Fragmenter.payload(of: Self.whole)
        let cases: [[UInt8]] = [
            Fragmenter.fragment(of: Self.whole, 1472..<2960),                   // starts inside the first
            Fragmenter.fragment(of: Self.whole, 0..<8),                          // inside the first
            Fragmenter.fragment(of: Self.whole, 1400..<3000),                    // covers the second's start
            Fragmenter.fragment(of: Self.whole, payload: Array(payload[1480..<2960].reversed()), offset: 1480,
                                moreFragments: true),                           // same place, other bytes
            Fragmenter.fragment(of: Self.whole, 0..<2960),                       // covers both
        ]
        let first = Fragmenter.fragment(of: Self.whole, 0..<1480)
        let second = Fragmenter.fragment(of: Self.whole, 1480..<2960)
        for (index, overlapping) in cases.enumerated() {
            let harness = ReassemblerHarness()
            #expect(harness.offer(all: [first, second]) == .held)
            #expect(harness.offer(overlapping) == .discarded, "case \(index)")
            #expect(harness.statistics[.overlap] == 1, "case \(index)")
            #expect(harness.reassembler.heldBytes == 0)
            // The rest of the datagram no longer completes it.
            #expect(harness.offer(all: Fragmenter.split(Self.whole, at: Self.cuts)) == .discarded)
            #expect(harness.statistics.fragmentsOfDroppedDatagrams == 3 && harness.statistics.datagramsReassembled == 0)
            // After the timeout the identification is free again.
            harness.now += harness.reassembler.configuration.timeout
            #expect(harness.offer(all: Fragmenter.split(Self.whole, at: Self.cuts)) == .completed(Self.whole))
            #expect(harness.statistics[.timeout] == 0, "a dropped datagram is not counted again when it expires")
        }
    }

    @Test("a gap never completes: the datagram times out, counted, its memory freed")
    func gapTimesOut() {
        let harness = ReassemblerHarness { $0.timeout = 5_000_000_000 }
        let fragments = Fragmenter.split(Self.whole, at: Self.cuts)
        let start = harness.now
        #expect(harness.offer(all: [fragments[0], fragments[2]]) == .held)
        #expect(harness.reassembler.nextDeadline == start + 5_000_000_000)
        #expect(harness.reassembler.heldBytes > 1540)
        harness.reassembler.expire(now: start + 4_999_999_999)
        #expect(harness.reassembler.datagramCount == 1)
        harness.reassembler.expire(now: start + 5_000_000_000)
        #expect(harness.reassembler.datagramCount == 0 && harness.reassembler.heldBytes == 0)
        #expect(harness.statistics[.timeout] == 1 && harness.statistics.totalDrops == 1)
        // The missing piece alone now starts a new datagram.
        harness.now = start + 5_000_000_000
        #expect(harness.offer(fragments[1]) == .held)
        // A late fragment finds an expired datagram on its own arrival too, without `expire`.
        harness.now += 5_000_000_000
        #expect(harness.offer(fragments[0]) == .held)
        #expect(harness.statistics[.timeout] == 2 && harness.reassembler.datagramCount == 1)
    }

    @Test("bad lengths: not a multiple of 8, empty, past 65 535 bytes, or disagreeing with the known end")
    func badLengths() {
        let payload = Fragmenter.payload(of: Self.whole)
        let refused: [([UInt8], ReassemblyDropReason)] = [
            (Fragmenter.fragment(of: Self.whole, 0..<1479, moreFragments: true), .malformed),
            (Fragmenter.fragment(of: Self.whole, payload: [], offset: 1480, moreFragments: true), .malformed),
            (Fragmenter.fragment(of: Self.whole, payload: [], offset: 1480, moreFragments: false), .malformed),
            (Fragmenter.fragment(of: Self.whole, payload: Array(payload[0..<16]), offset: 65_504, moreFragments: false), .tooBig),
            (Fragmenter.fragment(of: Self.whole, payload: Array(payload[0..<8]), offset: 65_512, moreFragments: true), .tooBig),
        ]
        for (fragment, reason) in refused {
            let harness = ReassemblerHarness()
            #expect(harness.offer(fragment) == .discarded)
            #expect(harness.statistics[reason] == 1 && harness.statistics.totalDrops == 1, "\(reason)")
            #expect(harness.reassembler.datagramCount == 0)
        }
        // The largest datagram (65 535 bytes with a 20-byte header) is fine.
        let largest = Fragmenter.datagram(payload: StackPair.pattern(count: 65_515, seed: 12))
        let harness = ReassemblerHarness()
        #expect(harness.offer(all: Fragmenter.split(largest, at: Array(stride(from: 1480, to: 65_515, by: 1480)))) == .completed(largest))

        let end = Fragmenter.fragment(of: Self.whole, 2960..<3000)
        let inconsistent: [[[UInt8]]] = [
            [end, Fragmenter.fragment(of: Self.whole, payload: Array(payload[2960..<2992]), offset: 2960, moreFragments: false)],
            [end, Fragmenter.fragment(of: Self.whole, payload: Array(payload[0..<8]), offset: 3000, moreFragments: true)],
            [Fragmenter.fragment(of: Self.whole, 1480..<2960), Fragmenter.fragment(of: Self.whole, 0..<1480, moreFragments: false)],
        ]
        for (index, sequence) in inconsistent.enumerated() {
            let harness = ReassemblerHarness()
            #expect(harness.offer(sequence[0]) == .held)
            #expect(harness.offer(sequence[1]) == .discarded)
            #expect(harness.statistics[.inconsistentEnd] == 1, "case \(index)")
            #expect(harness.offer(all: Fragmenter.split(Self.whole, at: Self.cuts)) == .discarded)
        }
    }

    @Test("only the first fragment's IP options go into the reassembled header")
    func options() throws {
        let options: [UInt8] = [0x01, 0x01, 0x01, 0x00]   // NOP NOP NOP EOL
        let wholeWithOptions = Fragmenter.withOptions(Self.whole, options)
        let first = Fragmenter.fragment(of: wholeWithOptions, 0..<1480)
        let rest = Fragmenter.split(Self.whole, at: Self.cuts).dropFirst()
        #expect(Fragmenter.headerLength(of: first) == 24 && rest.allSatisfy { Fragmenter.headerLength(of: $0) == 20 })
        let harness = ReassemblerHarness()
        #expect(harness.offer(all: [rest.last!, first, rest.first!]) == .completed(wholeWithOptions))
    }

    @Test("at most maximumDatagrams in progress: a new one evicts the oldest, counted")
    func datagramLimit() {
        let harness = ReassemblerHarness { $0.maximumDatagrams = 4 }
        let datagrams = (0..<5).map { Fragmenter.datagram(payload: StackPair.pattern(count: 3000, seed: 20 + UInt64($0)),
                                                          identification: UInt16($0)) }
        for datagram in datagrams {
            #expect(harness.offer(Fragmenter.split(datagram, at: Self.cuts)[0]) == .held)
            harness.now += 1
        }
        #expect(harness.statistics[.tooManyDatagrams] == 1 && harness.reassembler.datagramCount == 4)
        // The newest completes; the evicted oldest cannot.
        #expect(harness.offer(all: Array(Fragmenter.split(datagrams[4], at: Self.cuts).dropFirst())) == .completed(datagrams[4]))
        #expect(harness.offer(all: Array(Fragmenter.split(datagrams[0], at: Self.cuts).dropFirst())) == .held)
    }

    @Test("the byte budget evicts the oldest datagrams, and a datagram that alone exceeds it is dropped")
    func byteBudget() {
        let harness = ReassemblerHarness { $0.byteBudget = 65_536 }
        let datagrams = (0..<4).map { Fragmenter.datagram(payload: StackPair.pattern(count: 30_000, seed: 30 + UInt64($0)),
                                                          identification: UInt16($0)) }
        let cuts = Array(stride(from: 1480, to: 30_000, by: 1480))
        for datagram in datagrams {
            #expect(harness.offer(all: Array(Fragmenter.split(datagram, at: cuts).dropLast())) == .held)
            #expect(harness.reassembler.heldBytes <= 65_536)
        }
        // Each holds ~30 KB: two fit, so the third and fourth each evicted an older one.
        #expect(harness.statistics[.overBudget] == 2 && harness.reassembler.datagramCount == 2)
        #expect(harness.offer(Fragmenter.split(datagrams[3], at: cuts).last!) == .completed(datagrams[3]))
        #expect(harness.offer(Fragmenter.split(datagrams[0], at: cuts).last!) == .held)

        // 65 515 bytes in 45 fragments, with bookkeeping, are more than 65 536 bytes.
        let alone = ReassemblerHarness { $0.byteBudget = 65_536 }
        let largest = Fragmenter.datagram(payload: StackPair.pattern(count: 65_515, seed: 12))
        #expect(alone.offer(all: Fragmenter.split(largest, at: Array(stride(from: 1480, to: 65_515, by: 1480)))) == .discarded)
        #expect(alone.statistics[.overBudget] == 1 && alone.reassembler.heldBytes == 0)
    }

    @Test("at most maximumFragmentsPerDatagram pieces")
    func fragmentLimit() {
        let harness = ReassemblerHarness { $0.maximumFragmentsPerDatagram = 4 }
        let fragments = Fragmenter.split(Self.whole, at: [8, 16, 24, 32])
        #expect(harness.offer(all: Array(fragments.prefix(4))) == .held)
        #expect(harness.offer(fragments[4]) == .discarded)
        #expect(harness.statistics[.tooManyFragments] == 1 && harness.reassembler.heldBytes == 0)
    }

    @Test("1,000,000 random fragment frames never trap, stay within the bounds, and complete only valid datagrams")
    func randomFragments() {
        let budget = 65_536
        let harness = ReassemblerHarness {
            $0.maximumDatagrams = 32
            $0.byteBudget = budget
            $0.maximumFragmentsPerDatagram = 2
            $0.timeout = 1_000_000_000
        }
        var random = SeededRandom(seed: 8)
        var frame = (0..<(14 + 60 + 4 * 1480)).map { _ in UInt8.random(in: 0...255, using: &random) }
        var completed = 0
        var violations = 0
        for _ in 0..<1_000_000 {
            // One draw decides everything (bits taken from the bottom up).
            var bits = random.next()
            func take(_ count: UInt64) -> UInt64 {
                let value = bits & (count - 1)
                bits >>= UInt64(count.trailingZeroBitCount)
                return value
            }
            let headerLength = take(8) == 0 ? 20 + 4 * Int(take(16) % 11) : 20
            let offset = take(8) == 0 ? 8 * Int(take(8192)) : 1480 * Int(take(8))
            let length = take(4) == 0 ? Int(take(2048) % 1481) : 1480 * (1 + Int(take(4)))
            let moreFragments = take(8) != 0
            let identification = UInt16(take(64))
            let protocolNumber: UInt8 = take(2) == 0 ? 6 : 17
            let source = 0xc612_0000 | UInt32(take(2))
            // Mostly sub-millisecond gaps; now and then two seconds (past the timeout).
            harness.now += take(1024) == 0 ? 2_000_000_000 : take(1 << 20)
            guard offset != 0 || moreFragments else { continue }
            frame.withUnsafeMutableBytes { bytes in
                let ip = bytes.baseAddress! + 14
                ip.storeBytes(of: 0x40 | UInt8(headerLength / 4), as: UInt8.self)
                ip.storeBytes(of: UInt16(headerLength + length).bigEndian, toByteOffset: 2, as: UInt16.self)
                ip.storeBytes(of: identification.bigEndian, toByteOffset: 4, as: UInt16.self)
                ip.storeBytes(of: ((moreFragments ? 0x2000 : 0) | UInt16(offset / 8)).bigEndian, toByteOffset: 6, as: UInt16.self)
                ip.storeBytes(of: protocolNumber, toByteOffset: 9, as: UInt8.self)
                ip.storeBytes(of: source.bigEndian, toByteOffset: 12, as: UInt32.self)
            }
            if case let .completed(datagram) = harness.offer(frame) {
                completed += 1
                let valid = datagram.withUnsafeBytes { bytes in
                    guard let ip = try? IPv4Packet(checking: bytes.baseAddress! + 14, length: bytes.count - 14) else { return false }
                    return ip.length == bytes.count - 14 && ip.isHeaderChecksumValid && !ip.isFragment
                }
                if !valid { violations += 1 }
            }
            if harness.reassembler.heldBytes > budget || harness.reassembler.datagramCount > 32 { violations += 1 }
        }
        #expect(violations == 0)
        #expect(completed > 0)
        for reason in ReassemblyDropReason.allCases { #expect(harness.statistics[reason] > 0, "\(reason)") }
    }
}

@Suite("Fragmented datagrams through the stack, processed as if they had arrived whole")
struct FragmentedDatagramStackTests {
    @Test("a data segment of an established flow in 3 fragments, out of order, reaches the application")
    func fragmentedDataSegment() throws {
        let pair = try StackPair()
        let (flowA, _) = try pair.connect()
        pair.b.discardsReceived = true
        let state = try #require(pair.a.fastPath.state(of: flowA))
        let data = StackPair.pattern(count: 3000, seed: 40)
        let segment = TCPSegmentRepr(sourcePort: state.remotePort, destinationPort: state.localPort, sequenceNumber: state.receiveNext,
                                     acknowledgmentNumber: state.sendNext, flags: [.ack, .psh], window: 1000)
        let whole = Fragmenter.datagram(.tcp(segment), payload: data, identification: 7,
                                        from: (pair.wire.b.macAddress, StackPair.addressB), to: (pair.wire.a.macAddress, StackPair.addressA))
        let fragments = Fragmenter.split(whole, at: [1480, 2960])
        for index in [2, 0, 1] { #expect(pair.wire.b.transmit(fragments[index])) }
        pair.run(maximumRounds: 5)
        #expect(pair.a.received[flowA] == data)
        #expect(pair.a.network.statistics.reassembly.datagramsReassembled == 1)
    }

    @Test("a fragmented SYN reaches the listener and gets its SYN-ACK")
    func fragmentedSYN() throws {
        let pair = try StackPair()
        try pair.a.slowPath.listen(port: 8080, backlog: 4)
        let syn = TCPSegmentRepr(sourcePort: 4000, destinationPort: 8080, sequenceNumber: SequenceNumber(1000), flags: .syn,
                                 window: 1000, options: TCPOptions(maximumSegmentSize: 1000))
        let whole = Fragmenter.datagram(.tcp(syn), payload: [], identification: 8,
                                        from: (pair.wire.b.macAddress, StackPair.addressB), to: (pair.wire.a.macAddress, StackPair.addressA))
        for fragment in Fragmenter.split(whole, at: [8, 16]).reversed() { #expect(pair.wire.b.transmit(fragment)) }
        pair.a.step(now: pair.now)
        let replies = RawPeer(pair: pair).receivedSegments()
        #expect(replies.map(\.flags) == [[.syn, .ack]])
        #expect(replies.first?.acknowledgmentNumber.rawValue == 1001)
    }

    @Test("a fragmented echo request is answered (through the slow path)")
    func fragmentedEchoThroughStack() throws {
        let pair = try StackPair()
        let data = StackPair.pattern(count: 1400, seed: 41)
        let whole = Fragmenter.datagram(.icmp(.echoRequest(identifier: 0x99, sequenceNumber: 5)), payload: data, identification: 9,
                                        from: (pair.wire.b.macAddress, StackPair.addressB), to: (pair.wire.a.macAddress, StackPair.addressA))
        let fragments = Fragmenter.split(whole, at: [504, 1000])
        for index in [1, 2, 0] { #expect(pair.wire.b.transmit(fragments[index])) }
        pair.a.step(now: pair.now)
        pair.wire.b.poll()
        let replies = Fragmenter.echoReplies(in: pair.wire.b.receiveCopies(maximum: 64))
        #expect(replies.count == 1)
        #expect(replies.first?.identifier == 0x99 && replies.first?.sequenceNumber == 5 && replies.first?.payload == data)
    }

    @Test("the network host alone answers a fragmented echo request, and times out an incomplete one on its deadline")
    func fragmentedEchoNetworkHost() throws {
        let harness = try WireHarness()
        let data = StackPair.pattern(count: 1400, seed: 42)
        let whole = Fragmenter.datagram(.icmp(.echoRequest(identifier: 0x98, sequenceNumber: 6)), payload: data, identification: 10)
        let fragments = Fragmenter.split(whole, at: [504, 1000])
        harness.deliver(fragments[2], fragments[0], fragments[1])
        let replies = Fragmenter.echoReplies(in: harness.sentFrames())
        #expect(replies.count == 1 && replies.first?.payload == data)

        let start = harness.now
        let incomplete = Fragmenter.split(Fragmenter.datagram(.icmp(.echoRequest(identifier: 0x98, sequenceNumber: 7)), payload: data,
                                                              identification: 11), at: [504, 1000])
        harness.deliver(incomplete[0], incomplete[2])
        let timeout = harness.host.configuration.reassembly.timeout
        #expect(harness.host.nextDeadline == start + timeout)
        #expect(harness.host.reassemblyUsage.datagrams == 1 && harness.host.reassemblyUsage.bytes > 504)
        harness.advance(to: start + timeout)
        #expect(harness.host.statistics.reassembly[.timeout] == 1 && harness.host.nextDeadline == .max)
        #expect(harness.host.reassemblyUsage == (0, 0))
        harness.deliver(incomplete[1])
        #expect(harness.sentFrames().isEmpty)
        #expect(harness.drops.total == 0)
    }

    @Test("a fragment that overlaps is a counted drop of the host, never answered")
    func overlapCountedByHost() throws {
        let harness = try WireHarness()
        let whole = Fragmenter.datagram(.icmp(.echoRequest(identifier: 0x97, sequenceNumber: 8)), payload: Array(repeating: 1, count: 1400))
        harness.deliver(Fragmenter.fragment(of: whole, 0..<512), Fragmenter.fragment(of: whole, 504..<1408))
        #expect(harness.sentFrames().isEmpty)
        #expect(harness.drops[.ipFragment] == 1 && harness.host.statistics.reassembly[.overlap] == 1)
    }
}
