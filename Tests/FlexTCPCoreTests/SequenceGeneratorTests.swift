import FlexTCPCore
import FlexWire
import Testing

@Suite("RFC 6528 initial sequence numbers")
struct SequenceGeneratorTests {
    static let key = SipHashKey(k0: 0x0123_4567_89ab_cdef, k1: 0xfedc_ba98_7654_3210)
    static let generator = InitialSequenceNumberGenerator(key: key)
    static let client = IPv4Address(198, 18, 0, 1)
    static let server = IPv4Address(198, 18, 0, 2)

    func isn(
        _ generator: InitialSequenceNumberGenerator = Self.generator,
        local: IPv4Address = Self.server, localPort: UInt16 = 80,
        remote: IPv4Address = Self.client, remotePort: UInt16 = 40_000, at now: UInt64
    ) -> UInt32 {
        generator.initialSequenceNumber(
            localAddress: local, localPort: localPort, remoteAddress: remote, remotePort: remotePort,
            nowNanoseconds: now)
    }

    @Test("the timer part advances by one every 4 µs and is constant within a tick")
    func timerTicks() {
        let start: UInt64 = 1_000_000_000
        let base = isn(at: start)
        #expect(isn(at: start + 3_999) == base)
        #expect(isn(at: start + 4_000) == base &+ 1)
        #expect(isn(at: start + 4_000 * 250_000) == base &+ 250_000)
    }

    @Test("the timer wraps modulo 2^32 ticks")
    func timerWraps() {
        let wrapPeriod = InitialSequenceNumberGenerator.timerTickNanoseconds << 32
        #expect(isn(at: 12_345 + wrapPeriod) == isn(at: 12_345))
        #expect(isn(at: wrapPeriod - 4_000) == isn(at: 0) &- 1)
    }

    @Test("the hashed part is fixed per 4-tuple and key, and differs between them")
    func hashedPart() {
        let offset = isn(at: 0)
        #expect(isn(at: 8_000_000) &- 2_000 == offset)
        let variants: [UInt32] = [
            isn(local: IPv4Address(198, 18, 0, 3), at: 0),
            isn(localPort: 81, at: 0),
            isn(remote: IPv4Address(198, 18, 0, 4), at: 0),
            isn(remotePort: 40_001, at: 0),
            isn(local: Self.client, localPort: 40_000, remote: Self.server, remotePort: 80, at: 0),
            isn(InitialSequenceNumberGenerator(key: SipHashKey(k0: Self.key.k0, k1: Self.key.k1 ^ 1)), at: 0),
        ]
        for variant in variants { #expect(variant != offset) }
        #expect(Set(variants).count == variants.count)
    }

    @Test("the same key gives the same ISNs; default generators use distinct random keys")
    func keys() {
        #expect(isn(InitialSequenceNumberGenerator(key: Self.key), at: 77_000) == isn(at: 77_000))
        let first = InitialSequenceNumberGenerator()
        let second = InitialSequenceNumberGenerator()
        let samples = (0..<4).map { UInt16($0) }
        #expect(samples.map { isn(first, localPort: $0, at: 0) } != samples.map { isn(second, localPort: $0, at: 0) })
    }
}
