import FlexPort
import FlexWire
import Testing

/// Pushes a million random and mutated frames through the whole-frame parser and the TCP option
/// iterator. Every frame ends at an inaccessible page, so a read past its end faults the test.
@Suite("Robustness: random and mutated frames never trap")
struct RobustnessTests {
    static let framesPerRun = 250_000

    @Test("mutations of valid frames parse to a value or a typed error", arguments: [UInt64(1), 2, 3, 4])
    func mutatedFrames(seed: UInt64) throws {
        var fuzzer = FrameFuzzer(seeds: try Self.seedFrames(), seed: seed)
        var outcomes = Outcomes()
        for _ in 0..<Self.framesPerRun {
            fuzzer.nextFrame()
            outcomes.record(fuzzer.parseCurrentFrame())
            fuzzer.walkOptionWindow()
        }
        // The mutations reach every error the parser can report, and still leave many frames valid.
        let expected: Set<String> = [
            "truncated(ethernet)", "truncated(arp)", "truncated(ipv4)", "truncated(icmp)", "truncated(udp)", "truncated(tcp)",
            "badHeaderLength(ipv4)", "badHeaderLength(tcp)", "badLength(ipv4)", "badLength(udp)", "badVersion",
            "badChecksum(ipv4)", "badChecksum(icmp)", "badChecksum(udp)", "badChecksum(tcp)",
            "unsupportedARPFormat", "unsupportedARPOperation", "optionOverrun", "optionLengthTooSmall", "badOptionLength",
        ]
        #expect(expected.subtracting(outcomes.errors.keys).isEmpty, "errors never produced: \(expected.subtracting(outcomes.errors.keys))")
        #expect(outcomes.errors.keys.allSatisfy(expected.contains))
        #expect(outcomes.parsed > Self.framesPerRun / 10)
        #expect(fuzzer.optionWalks == Self.framesPerRun)
    }

    /// Valid frames of every kind the parser knows, to be mutated.
    static func seedFrames() throws -> [[UInt8]] {
        let ethernet = Sample.ethernet()
        let ip = Sample.ipv4()
        func tcp(_ flags: TCPFlags, _ options: TCPOptions) -> FrameHeaders.Transport {
            .tcp(TCPSegmentRepr(sourcePort: 40000, destinationPort: 80, sequenceNumber: SequenceNumber(0xffff_ff00),
                                acknowledgmentNumber: SequenceNumber(77), flags: flags, window: 1000, options: options))
        }
        let sack: TCPSACKBlocks = [TCPSACKBlock(leftEdge: SequenceNumber(1), rightEdge: SequenceNumber(2)),
                                   TCPSACKBlock(leftEdge: SequenceNumber(3), rightEdge: SequenceNumber(4)),
                                   TCPSACKBlock(leftEdge: SequenceNumber(5), rightEdge: SequenceNumber(6))]
        var fragment = ip
        fragment.moreFragments = true
        let arp = ARPRepr(operation: .request, senderHardwareAddress: Sample.macA, senderProtocolAddress: Sample.ipA,
                          targetHardwareAddress: .zero, targetProtocolAddress: Sample.ipB)
        let built: [(FrameHeaders, [UInt8])] = [
            (FrameHeaders(ethernet: ethernet, network: .arp(arp)), []),
            (FrameHeaders(ethernet: ethernet, network: .ipv4(ip, .icmp(.echoRequest(identifier: 9, sequenceNumber: 1)))), Array(0..<56)),
            (FrameHeaders(ethernet: ethernet, network: .ipv4(ip, .icmp(.other(type: 3, code: 3, restOfHeader: 0)))), Array(0..<28)),
            (FrameHeaders(ethernet: ethernet, network: .ipv4(ip, .udp(UDPRepr(sourcePort: 1, destinationPort: 2)))), Array(0..<13)),
            (FrameHeaders(ethernet: ethernet, network: .ipv4(ip, tcp(.syn, FrameTests.synOptions))), []),
            (FrameHeaders(ethernet: ethernet, network: .ipv4(ip, tcp([.ack], TCPOptions(timestamps: TCPTimestamps(value: 1, echoReply: 2), sackBlocks: sack)))), Array(0..<20)),
            (FrameHeaders(ethernet: Sample.ethernet(vlan: VLANTag(identifier: 5)), network: .ipv4(ip, tcp([.fin, .ack], TCPOptions(sackBlocks: sack)))), [1]),
            (FrameHeaders(ethernet: ethernet, network: .ipv4(fragment, .fragment)), Array(0..<16)),
        ]
        var seeds = try built.map { try buildFrame($0.0, payload: $0.1) }
        // A SYN with IPv4 options (IHL 6) and an unknown TCP option (kind 30, length 4) before the others.
        var withOptions = seeds[4]
        withOptions.insert(contentsOf: [0x1e, 0x04, 0xab, 0xcd], at: 54)
        withOptions[46] += 0x10
        withOptions.insert(contentsOf: [0x94, 0x04, 0x00, 0x00], at: 34)
        withOptions[14] = 0x46
        withOptions[17] += 8
        seeds.append(withOptions)
        return seeds + CapturedFrames.all.map(\.bytes)
    }
}

/// What the parser returned over a run: how many frames parsed, and how often each kind of error came back.
struct Outcomes {
    var parsed = 0
    var errors: [String: Int] = [:]

    mutating func record(_ result: Result<ParsedFrame, WireError>) {
        switch result {
        case .success: parsed += 1
        case let .failure(error): errors[Self.category(of: error), default: 0] += 1
        }
    }

    /// The error's case, with the layer where it has one (option kinds and values dropped).
    static func category(of error: WireError) -> String {
        switch error {
        case let .truncated(layer): "truncated(\(layer))"
        case let .badHeaderLength(layer): "badHeaderLength(\(layer))"
        case let .badLength(layer): "badLength(\(layer))"
        case .badVersion: "badVersion"
        case let .badChecksum(layer): "badChecksum(\(layer))"
        case .unsupportedARPFormat: "unsupportedARPFormat"
        case .unsupportedARPOperation: "unsupportedARPOperation"
        case .optionOverrun: "optionOverrun"
        case .optionLengthTooSmall: "optionLengthTooSmall"
        case .badOptionLength: "badOptionLength"
        case .bufferTooSmall: "bufferTooSmall"
        }
    }
}

/// Makes frames by mutating seed frames (or from scratch), places each against a guard page and
/// runs the parser and the option iterator over it. Deterministic for a given seed.
struct FrameFuzzer {
    private let seeds: [[UInt8]]
    private var random: SeededRandom
    private var frame: [UInt8] = []
    private let guarded = GuardedBuffer(capacity: 4096)
    private var placed = UnsafeRawBufferPointer(start: nil, count: 0)
    private var rebuilt = [UInt8](repeating: 0, count: 4096)
    private(set) var optionWalks = 0

    init(seeds: [[UInt8]], seed: UInt64) {
        self.seeds = seeds
        random = SeededRandom(seed: seed)
        frame.reserveCapacity(4096)
    }

    /// Picks the next frame: usually a seed with one to three mutations, sometimes random bytes.
    mutating func nextFrame() {
        if random.next() % 16 == 0 {
            frame.removeAll(keepingCapacity: true)
            for _ in 0..<Int(random.next() % 100) { frame.append(UInt8(truncatingIfNeeded: random.next())) }
            if frame.count >= 14, random.next() % 2 == 0 {
                let types: [(UInt8, UInt8)] = [(0x08, 0x00), (0x08, 0x06), (0x81, 0x00)]
                (frame[12], frame[13]) = types[Int(random.next() % 3)]
                if frame.count > 14 { frame[14] = 0x45 }
            }
        } else {
            frame = seeds[Int(random.next() % UInt64(seeds.count))]
            for _ in 0...Int(random.next() % 3) { mutate() }
        }
        let start = guarded.place(frame)
        placed = UnsafeRawBufferPointer(start: start, count: frame.count)
    }

    private mutating func mutate() {
        guard !frame.isEmpty else { return }
        let at = Int(random.next() % UInt64(frame.count))
        switch random.next() % 7 {
        case 0:  // bit flips
            for _ in 0...Int(random.next() % 8) {
                let index = Int(random.next() % UInt64(frame.count))
                frame[index] ^= 1 << UInt8(random.next() % 8)
            }
        case 1:  // truncation
            frame.removeLast(frame.count - at)
        case 2:  // a length field gets a random value: IPv4 IHL and total length, UDP length, TCP data offset
            let fields = [14, 16, 17, 38, 39, 46]
            let index = fields[Int(random.next() % UInt64(fields.count))]
            if index < frame.count { frame[index] = UInt8(truncatingIfNeeded: random.next()) }
        case 3:  // option-byte garbage: small kinds and lengths over the TCP option area
            guard frame.count > 54 else { return }
            let start = 54 + Int(random.next() % UInt64(min(40, frame.count - 54)))
            for index in start..<min(frame.count, start + 1 + Int(random.next() % 8)) {
                frame[index] = UInt8(truncatingIfNeeded: random.next() % 12)
            }
        case 4:  // one random byte
            frame[at] = UInt8(truncatingIfNeeded: random.next())
        case 5:  // trailing bytes (padding)
            for _ in 0..<Int(random.next() % 32) { frame.append(UInt8(truncatingIfNeeded: random.next())) }
        default:  // an ARP field
            let fields = [14, 15, 16, 17, 18, 19, 20, 21]
            let index = fields[Int(random.next() % UInt64(fields.count))]
            if index < frame.count { frame[index] = UInt8(truncatingIfNeeded: random.next() % 8) }
        }
    }

    /// Parses the current frame. A frame that parses is rebuilt; the rebuild must parse with valid
    /// checksums and rebuild to the same bytes again.
    mutating func parseCurrentFrame() -> Result<ParsedFrame, WireError> {
        let verify = random.next() % 4 == 0
        let result = Result { () throws(WireError) in try ParsedFrame(parsing: placed, verifyChecksums: verify) }
        if case let .success(parsed) = result { checkRebuild(parsed) }
        return result
    }

    private mutating func checkRebuild(_ parsed: ParsedFrame) {
        #expect(parsed.payloadRange.lowerBound >= 0 && parsed.payloadRange.upperBound <= placed.count)
        let payload = UnsafeRawBufferPointer(rebasing: placed[parsed.payloadRange])
        let length = parsed.headers.frameLength(payloadCount: payload.count)
        let once = rebuilt.withUnsafeMutableBytes { buffer in
            Result { () throws(WireError) in try parsed.headers.emit(payload: payload, into: buffer) }
        }
        guard case .success(length) = once else {
            Issue.record("rebuilding a parsed frame failed: \(once)")
            return
        }
        let first = Array(rebuilt[0..<length])
        let reparsed = first.withUnsafeBytes { bytes in Result { () throws(WireError) in try ParsedFrame(parsing: bytes) } }
        guard case let .success(again) = reparsed else {
            Issue.record("a rebuilt frame did not parse: \(reparsed)")
            return
        }
        let second = try? buildFrame(again.headers, payload: Array(first[again.payloadRange]))
        #expect(second == first)
    }

    /// Walks up to 40 bytes from a random offset of the current frame as TCP options; the walk must
    /// end (each step consumes at least one byte) whatever the bytes are.
    mutating func walkOptionWindow() {
        optionWalks += 1
        guard let base = placed.baseAddress, !placed.isEmpty else { return }
        let start = Int(random.next() % UInt64(placed.count))
        let count = min(placed.count - start, Int(random.next() % 41))
        var iterator = TCPOptionIterator(bytes: base + start, count: count)
        var steps = 0
        while true {
            do throws(WireError) {
                guard try iterator.next() != nil else { break }
            } catch {
                break
            }
            steps += 1
            if steps > count {
                Issue.record("the option walk did not advance")
                break
            }
        }
    }
}
