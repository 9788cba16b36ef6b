import FlexWire

/// SYN cookies (RFC 4987 §3.6): the server answers a SYN without keeping any state, encoding what
/// it must remember in its initial sequence number, so a SYN flood cannot exhaust memory.
///
/// Cookie layout (32 bits, the server ISN):
///
///     bits 31...27  time counter modulo 32 (the counter ticks every 64 s)
///     bits 26...24  index into `maximumSegmentSizes`
///     bits 23...0   low 24 bits of SipHash-2-4 over the 4-tuple, the client ISN, the MSS index,
///                   the timestamp-encoded options (or "no timestamps") and the full counter
///
/// Contract: `decode` succeeds for exactly the ACKs that answer a SYN-ACK from `encode` with the
/// same key and 4-tuple, issued in the current or the previous counter period, and echoing the same
/// timestamp options. It fails with `.expired` for authentic cookies 2...31 periods old and with
/// `.forged` for everything else (older cookies included: their counter field has wrapped). A
/// blind guess passes with probability 2/32 · 2^-24 = 2^-28.
package struct SYNCookieCodec: Sendable {
    /// The MSS values a cookie can carry, ascending; the encoder picks the largest one not above
    /// the peer's offer (the smallest one if the offer is below all of them).
    package static let maximumSegmentSizes: [UInt16] = [64, 536, 1220, 1300, 1400, 1440, 1460, 8960]
    /// The time counter ticks once per this many nanoseconds.
    package static let counterPeriodNanoseconds: UInt64 = 64_000_000_000

    private static let counterShift: UInt32 = 27
    private static let counterMask: UInt32 = 0x1f
    private static let mssIndexShift: UInt32 = 24
    private static let mssIndexMask: UInt32 = 0x07
    private static let macMask: UInt32 = 0x00ff_ffff
    /// Stands for "no timestamps" in the hash input, outside the six bits options can take.
    private static let withoutTimestamps: UInt64 = 1 << SYNCookieOptions.encodedBitCount

    private let key: SipHashKey

    /// A codec with a fresh random secret by default; inject a fixed key only in tests.
    package init(key: SipHashKey = .random()) {
        self.key = key
    }

    /// The cookie answering a SYN from the peer at `remoteAddress:remotePort`.
    ///
    /// - Parameters:
    ///   - options: the SYN's options, or nil when it carried no timestamp option (window scale,
    ///     SACK and ECN are then dropped: there is nowhere to keep them).
    ///   - timestampClock: the server's timestamp clock now; its low six bits are replaced by the
    ///     options. Unused when `options` is nil.
    package func encode(
        localAddress: IPv4Address, localPort: UInt16, remoteAddress: IPv4Address, remotePort: UInt16,
        clientSequenceNumber: UInt32, maximumSegmentSize: UInt16, options: SYNCookieOptions?,
        timestampClock: UInt32, nowNanoseconds: UInt64
    ) -> SYNCookie {
        let counter = nowNanoseconds / Self.counterPeriodNanoseconds
        let mssIndex = Self.maximumSegmentSizes.lastIndex { $0 <= maximumSegmentSize } ?? 0
        let mac = authenticator(
            localAddress: localAddress, localPort: localPort, remoteAddress: remoteAddress, remotePort: remotePort,
            clientSequenceNumber: clientSequenceNumber, mssIndex: UInt32(mssIndex), options: options, counter: counter)
        let counterField = UInt32(truncatingIfNeeded: counter) & Self.counterMask
        return SYNCookie(
            sequenceNumber: counterField << Self.counterShift | UInt32(mssIndex) << Self.mssIndexShift | mac,
            maximumSegmentSize: Self.maximumSegmentSizes[mssIndex],
            timestampValue: options?.timestampValue(clock: timestampClock))
    }

    /// Checks the ACK that completes a cookie handshake and recovers the connection parameters.
    /// Returns the rejection as a value: under a flood, forged ACKs are the common case.
    ///
    /// - Parameters:
    ///   - sequenceNumber, acknowledgmentNumber: the ACK's numbers (client ISN + 1, cookie + 1).
    ///   - echoedTimestamp: the ACK's TSecr, or nil when it carries no timestamp option.
    package func decode(
        localAddress: IPv4Address, localPort: UInt16, remoteAddress: IPv4Address, remotePort: UInt16,
        sequenceNumber: UInt32, acknowledgmentNumber: UInt32, echoedTimestamp: UInt32?, nowNanoseconds: UInt64
    ) -> Result<SYNCookieContents, SYNCookieRejection> {
        let cookie = acknowledgmentNumber &- 1
        let clientSequenceNumber = sequenceNumber &- 1
        let counterField = UInt64(cookie >> Self.counterShift & Self.counterMask)
        let mssIndex = cookie >> Self.mssIndexShift & Self.mssIndexMask
        // The cookie's counter is the latest one not after now whose low bits match the field.
        let currentCounter = nowNanoseconds / Self.counterPeriodNanoseconds
        let age = (currentCounter &- counterField) & UInt64(Self.counterMask)
        guard age <= currentCounter else { return .failure(.forged) }
        let options = echoedTimestamp.map { SYNCookieOptions(encoded: $0) }
        let mac = authenticator(
            localAddress: localAddress, localPort: localPort, remoteAddress: remoteAddress, remotePort: remotePort,
            clientSequenceNumber: clientSequenceNumber, mssIndex: mssIndex, options: options,
            counter: currentCounter - age)
        guard mac == cookie & Self.macMask else { return .failure(.forged) }
        guard age <= 1 else { return .failure(.expired) }
        return .success(SYNCookieContents(
            clientInitialSequenceNumber: clientSequenceNumber, serverInitialSequenceNumber: cookie,
            maximumSegmentSize: Self.maximumSegmentSizes[Int(mssIndex)], options: options))
    }

    private func authenticator(
        localAddress: IPv4Address, localPort: UInt16, remoteAddress: IPv4Address, remotePort: UInt16,
        clientSequenceNumber: UInt32, mssIndex: UInt32, options: SYNCookieOptions?, counter: UInt64
    ) -> UInt32 {
        let encodedOptions = options.map { UInt64($0.encoded) } ?? Self.withoutTimestamps
        var hash = SipHash24(key: key)
        hash.appendConnection(
            localAddress: localAddress, localPort: localPort, remoteAddress: remoteAddress, remotePort: remotePort)
        hash.append(UInt64(clientSequenceNumber) << 32 | UInt64(mssIndex) << 8 | encodedOptions)
        hash.append(counter)
        return UInt32(truncatingIfNeeded: hash.finalize()) & Self.macMask
    }
}
