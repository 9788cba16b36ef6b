import FlexWire

/// Initial sequence numbers as RFC 6528 defines them: ISN = M + F(localip, localport, remoteip,
/// remoteport, secretkey), where M is a timer that ticks every 4 microseconds and F is SipHash-2-4
/// under a secret key, truncated to 32 bits.
///
/// Contract: for one 4-tuple, successive ISNs advance with time like the RFC 793 clock (one per
/// 4 µs, wrapping modulo 2^32); without the key, an observer of one connection's ISN learns
/// nothing about the ISNs of other 4-tuples. The time is passed in, so tests are deterministic.
package struct InitialSequenceNumberGenerator: Sendable {
    /// The timer M ticks once per this many nanoseconds.
    package static let timerTickNanoseconds: UInt64 = 4_000

    private let key: SipHashKey

    /// A generator with a fresh random secret by default; inject a fixed key only in tests.
    package init(key: SipHashKey = .random()) {
        self.key = key
    }

    /// The ISN for a new connection at monotonic time `nowNanoseconds`.
    package func initialSequenceNumber(
        localAddress: IPv4Address, localPort: UInt16, remoteAddress: IPv4Address, remotePort: UInt16,
        nowNanoseconds: UInt64
    ) -> UInt32 {
        var hash = SipHash24(key: key)
        hash.appendConnection(
            localAddress: localAddress, localPort: localPort, remoteAddress: remoteAddress, remotePort: remotePort)
        let timer = UInt32(truncatingIfNeeded: nowNanoseconds / Self.timerTickNanoseconds)
        return timer &+ UInt32(truncatingIfNeeded: hash.finalize())
    }
}
