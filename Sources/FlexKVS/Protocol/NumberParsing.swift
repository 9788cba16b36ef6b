/// Numbers in text commands, read as memcached 1.6 reads them (C's strtol/strtoul family behind
/// its `safe_strto*` checks), so the same tokens are accepted and refused.
enum NumberParsing {
    /// An optional sign and at least one digit filling the whole token; the magnitude, if it fits 64 bits.
    private static func magnitude(_ token: UnsafeRawBufferPointer) -> (negative: Bool, value: UInt64)? {
        var index = 0
        var negative = false
        if index < token.count, token[index] == UInt8(ascii: "+") || token[index] == UInt8(ascii: "-") {
            negative = token[index] == UInt8(ascii: "-")
            index += 1
        }
        guard index < token.count else { return nil }
        var value: UInt64 = 0
        while index < token.count {
            let digit = token[index] &- 0x30
            guard digit < 10 else { return nil }
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = times.addingReportingOverflow(UInt64(digit))
            guard !overflowTimes, !overflowSum else { return nil }
            value = sum
            index += 1
        }
        return (negative, value)
    }

    /// safe_strtoull: unsigned 64 bits; a '-' is refused unless the value is 0.
    static func unsigned64(_ token: UnsafeRawBufferPointer) -> UInt64? {
        guard let (negative, value) = magnitude(token) else { return nil }
        if negative { return value == 0 ? 0 : nil }
        return value
    }

    /// safe_strtoul for flags: as `unsigned64`, then cut to 32 bits (as memcached stores it).
    static func flags(_ token: UnsafeRawBufferPointer) -> UInt32? {
        unsigned64(token).map { UInt32(truncatingIfNeeded: $0) }
    }

    /// safe_strtol into a 32-bit integer: signed 64 bits, then cut to 32 bits (as memcached stores it).
    static func signed32(_ token: UnsafeRawBufferPointer) -> Int32? {
        guard let (negative, value) = magnitude(token) else { return nil }
        if negative {
            guard value <= UInt64(Int64.max) + 1 else { return nil }
            return Int32(truncatingIfNeeded: 0 &- value)
        }
        guard value <= UInt64(Int64.max) else { return nil }
        return Int32(truncatingIfNeeded: value)
    }
}
