import FlexPort
import FlexTCPCore
import FlexWire
import Testing

extension Result where Failure == SYNCookieRejection {
    fileprivate var rejection: SYNCookieRejection? {
        if case .failure(let rejection) = self { rejection } else { nil }
    }
}

@Suite("SYN cookies")
struct SYNCookieTests {
    static let codec = SYNCookieCodec(key: SipHashKey(k0: 0x5eed_0001, k1: 0x5eed_0002))
    static let period = SYNCookieCodec.counterPeriodNanoseconds
    static let server = IPv4Address(198, 18, 0, 2)
    static let client = IPv4Address(198, 18, 0, 1)
    static let start: UInt64 = 1_000 * period + 12_345

    struct Handshake {
        var clientISN: UInt32 = 0x8000_0001
        var mss: UInt16 = 1460
        var options: SYNCookieOptions? = SYNCookieOptions(
            windowScale: 7, sackPermitted: true, explicitCongestionNotification: true)
        var clientPort: UInt16 = 40_000
        var sentAt: UInt64 = SYNCookieTests.start
    }

    func encode(_ handshake: Handshake) -> SYNCookie {
        Self.codec.encode(
            localAddress: Self.server, localPort: 80, remoteAddress: Self.client, remotePort: handshake.clientPort,
            clientSequenceNumber: handshake.clientISN, maximumSegmentSize: handshake.mss, options: handshake.options,
            timestampClock: 0xabcd_ef99, nowNanoseconds: handshake.sentAt)
    }

    /// Decodes the ACK a well-behaved client sends for `cookie`, with the given changes.
    func decode(
        _ cookie: SYNCookie, _ handshake: Handshake, at now: UInt64 = SYNCookieTests.start,
        server: IPv4Address = SYNCookieTests.server, serverPort: UInt16 = 80,
        client: IPv4Address = SYNCookieTests.client, clientPort: UInt16? = nil,
        echoedTimestamp: UInt32?? = .none
    ) -> Result<SYNCookieContents, SYNCookieRejection> {
        Self.codec.decode(
            localAddress: server, localPort: serverPort, remoteAddress: client,
            remotePort: clientPort ?? handshake.clientPort, sequenceNumber: handshake.clientISN &+ 1,
            acknowledgmentNumber: cookie.sequenceNumber &+ 1,
            echoedTimestamp: echoedTimestamp ?? cookie.timestampValue, nowNanoseconds: now)
    }

    @Test("round trip with timestamps keeps MSS, window scale, SACK and ECN")
    func roundTripWithOptions() throws {
        let handshake = Handshake()
        let cookie = encode(handshake)
        #expect(cookie.maximumSegmentSize == 1460)
        let timestamp = try #require(cookie.timestampValue)
        #expect(timestamp & ~0x3f == 0xabcd_ef99 & ~0x3f)
        let contents = try decode(cookie, handshake).get()
        #expect(contents.clientInitialSequenceNumber == handshake.clientISN)
        #expect(contents.serverInitialSequenceNumber == cookie.sequenceNumber)
        #expect(contents.maximumSegmentSize == 1460)
        #expect(contents.options == handshake.options)
    }

    @Test("round trip without timestamps keeps only the MSS")
    func roundTripWithoutTimestamps() throws {
        let handshake = Handshake(options: nil)
        let cookie = encode(handshake)
        #expect(cookie.timestampValue == nil)
        let contents = try decode(cookie, handshake).get()
        #expect(contents.options == nil)
        #expect(contents.maximumSegmentSize == 1460)
    }

    @Test("every option combination survives the timestamp", arguments: [nil, 0, 1, 9, 14, 15] as [UInt8?])
    func optionCombinations(windowScale: UInt8?) throws {
        for sack in [false, true] {
            for ecn in [false, true] {
                let options = SYNCookieOptions(
                    windowScale: windowScale, sackPermitted: sack, explicitCongestionNotification: ecn)
                let handshake = Handshake(options: options)
                let contents = try decode(encode(handshake), handshake).get()
                #expect(contents.options == options)
                #expect(contents.options?.windowScale == windowScale.map { min($0, 14) })
            }
        }
    }

    @Test("the MSS rounds down to a table entry, never above the peer's offer")
    func maximumSegmentSizeTable() throws {
        let offers: [UInt16: UInt16] = [40: 64, 64: 64, 535: 64, 536: 536, 1459: 1440, 1460: 1460, 9000: 8960, .max: 8960]
        for (offer, expected) in offers {
            let handshake = Handshake(mss: offer)
            let cookie = encode(handshake)
            #expect(cookie.maximumSegmentSize == expected)
            #expect(try decode(cookie, handshake).get().maximumSegmentSize == expected)
        }
    }

    @Test("cookies from the current and previous periods pass; older ones are expired")
    func expiry() throws {
        let lastMomentOfPeriod = (Self.start / Self.period + 1) * Self.period - 1
        let handshake = Handshake(sentAt: lastMomentOfPeriod)
        let cookie = encode(handshake)
        _ = try decode(cookie, handshake, at: lastMomentOfPeriod).get()
        _ = try decode(cookie, handshake, at: lastMomentOfPeriod + Self.period).get()
        #expect(decode(cookie, handshake, at: lastMomentOfPeriod + Self.period + 1).rejection == .expired)
        #expect(decode(cookie, handshake, at: lastMomentOfPeriod + 31 * Self.period).rejection == .expired)
        // Once the five counter bits wrap, the cookie names a later period and no longer authenticates.
        for periods: UInt64 in [32, 33, 1_000] {
            #expect(decode(cookie, handshake, at: lastMomentOfPeriod + periods * Self.period).rejection == .forged)
        }
    }

    @Test("a cookie from before time zero cannot exist")
    func cookieBeforeTimeZero() {
        let handshake = Handshake(sentAt: 31 * Self.period)
        let cookie = encode(handshake)
        #expect(decode(cookie, handshake, at: 0).rejection == .forged)
    }

    @Test("a different 4-tuple, client ISN or timestamp echo is rejected as forged")
    func wrongInputs() {
        var handshake = Handshake()
        let cookie = encode(handshake)
        #expect(decode(cookie, handshake, server: IPv4Address(198, 18, 0, 3)).rejection == .forged)
        #expect(decode(cookie, handshake, serverPort: 81).rejection == .forged)
        #expect(decode(cookie, handshake, client: IPv4Address(198, 18, 0, 9)).rejection == .forged)
        #expect(decode(cookie, handshake, clientPort: 40_001).rejection == .forged)
        #expect(decode(cookie, handshake, echoedTimestamp: .some(nil)).rejection == .forged)
        #expect(decode(cookie, handshake, echoedTimestamp: cookie.timestampValue.map { $0 ^ 0x10 }).rejection == .forged)
        let withoutTimestamps = Handshake(options: nil)
        let plainCookie = encode(withoutTimestamps)
        #expect(decode(plainCookie, withoutTimestamps, echoedTimestamp: 0x3f).rejection == .forged)
        handshake.clientISN &+= 1
        #expect(decode(cookie, handshake).rejection == .forged)
    }

    @Test("flipping any single bit of the cookie is detected")
    func bitFlips() {
        let handshake = Handshake()
        let cookie = encode(handshake)
        for bit in 0..<32 {
            var tampered = cookie
            tampered.sequenceNumber ^= 1 << bit
            #expect(decode(tampered, handshake).rejection != nil)
        }
    }

    /// A uniformly random guess passes only if its counter field names one of the two live periods
    /// (2/32) and its 24-bit authenticator matches (2^-24): p = 2^-28 ≈ 3.7e-9, so 10^6 guesses
    /// accept 0.0037 on average and at least one with probability 0.37%. An attacker who knows the
    /// clock and fills the counter field correctly still needs the authenticator: p = 2^-24 ≈ 6e-8,
    /// 0.06 expected per 10^6 guesses, and three or more with probability below 4e-5.
    @Test("random forgeries are accepted at a negligible rate")
    func randomForgeries() {
        var generator = SeededRandom(seed: 0xf00d)
        let currentCounterField = UInt32(truncatingIfNeeded: Self.start / Self.period) & 31
        var acceptedBlind = 0
        var acceptedWithKnownCounter = 0
        var handshake = Handshake(options: nil)
        var guessed = encode(handshake)
        for _ in 0..<1_000_000 {
            let guess = UInt32(truncatingIfNeeded: generator.next())
            handshake.clientISN = UInt32(truncatingIfNeeded: generator.next())
            handshake.clientPort = UInt16(truncatingIfNeeded: guess)
            guessed.sequenceNumber = guess
            if case .success = decode(guessed, handshake) { acceptedBlind += 1 }
            guessed.sequenceNumber = currentCounterField << 27 | guess & 0x07ff_ffff
            if case .success = decode(guessed, handshake) { acceptedWithKnownCounter += 1 }
        }
        #expect(acceptedBlind == 0)
        #expect(acceptedWithKnownCounter <= 2)
    }
}
