/// The Internet checksum (RFC 1071): one's-complement sum of 16-bit big-endian words.
///
/// Contract: `partialSum` accumulates into a 32-bit (or wider) running sum that the caller may chain
/// over several buffers, as long as every buffer but the last has an even length; `finish` folds it
/// and complements. A buffer whose stored checksum is correct sums (with `finish`) to zero.
public enum InternetChecksum {
    /// Adds the bytes at `pointer` to `initial` (an unfolded running sum) and returns the new sum.
    /// An odd trailing byte is padded with zero as the RFC says.
    ///
    /// The one's-complement sum does not depend on byte order (RFC 1071 §2(B)), so the loop adds
    /// native-order 64-bit loads into two independent 32-bit-lane accumulators, folds once, and swaps
    /// the 16-bit result to network order at the end: about 6× faster than summing big-endian words.
    @inlinable
    public static func partialSum(_ pointer: UnsafeRawPointer, count: Int, initial: UInt64 = 0) -> UInt64 {
        var low: UInt64 = 0
        var high: UInt64 = 0
        var offset = 0
        while offset &+ 8 <= count {
            let word = pointer.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            low &+= word & 0xffff_ffff
            high &+= word >> 32
            offset &+= 8
        }
        var sum = low &+ high
        if offset &+ 4 <= count {
            sum &+= UInt64(pointer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            offset &+= 4
        }
        if offset &+ 2 <= count {
            sum &+= UInt64(pointer.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
            offset &+= 2
        }
        if offset < count {
            // The odd byte opens a zero-padded word: its network-order value, in native representation.
            sum &+= UInt64(UInt16(bigEndian: UInt16(pointer.load(fromByteOffset: offset, as: UInt8.self)) << 8))
        }
        sum = (sum & 0xffff_ffff) &+ (sum >> 32)
        sum = (sum & 0xffff) &+ (sum >> 16)
        sum = (sum & 0xffff) &+ (sum >> 16)
        sum = (sum & 0xffff) &+ (sum >> 16)
        return initial &+ UInt64(UInt16(bigEndian: UInt16(truncatingIfNeeded: sum)))
    }

    /// Folds a running sum to 16 bits and returns its one's complement: the value to store.
    @inlinable
    public static func finish(_ sum: UInt64) -> UInt16 {
        var folded = (sum & 0xffff_ffff) &+ (sum >> 32)
        folded = (folded & 0xffff) &+ (folded >> 16)
        folded = (folded & 0xffff) &+ (folded >> 16)
        folded = (folded & 0xffff) &+ (folded >> 16)
        return ~UInt16(truncatingIfNeeded: folded)
    }

    /// The checksum of one buffer.
    @inlinable
    public static func checksum(_ pointer: UnsafeRawPointer, count: Int) -> UInt16 {
        finish(partialSum(pointer, count: count))
    }

    /// The checksum of an option-less (20-byte) IPv4 header at `header`: `checksum(header, count: 20)`
    /// as five native-order 32-bit loads folded once (the sum does not depend on byte order), for
    /// per-packet header templates.
    @inlinable
    public static func checksumOfIPv4Header(_ header: UnsafeRawPointer) -> UInt16 {
        checksumOfIPv4Header(header, tailSum: ipv4HeaderTailSum(header))
    }

    /// The native-order sum of an option-less IPv4 header's last four 32-bit words (identification
    /// to destination address), which a per-flow header template keeps.
    @inlinable
    public static func ipv4HeaderTailSum(_ header: UnsafeRawPointer) -> UInt64 {
        var sum: UInt64 = 0
        for offset in stride(from: 4, to: 20, by: 4) {
            sum &+= UInt64(header.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        }
        return sum
    }

    /// `checksumOfIPv4Header(header)` from the header's first word (version to total length) and
    /// `tailSum`, the `ipv4HeaderTailSum` of the rest.
    @inlinable
    public static func checksumOfIPv4Header(_ header: UnsafeRawPointer, tailSum: UInt64) -> UInt16 {
        var sum = tailSum &+ UInt64(header.loadUnaligned(as: UInt32.self))
        sum = (sum & 0xffff) &+ (sum >> 16)
        sum = (sum & 0xffff) &+ (sum >> 16)
        sum = (sum & 0xffff) &+ (sum >> 16)
        return finish(UInt64(UInt16(bigEndian: UInt16(truncatingIfNeeded: sum))))
    }

    /// The running sum of the IPv4 pseudo-header used by TCP and UDP (RFC 793 / RFC 768).
    @inlinable
    public static func pseudoHeaderSum(source: IPv4Address, destination: IPv4Address, protocolNumber: UInt8, length: Int) -> UInt64 {
        UInt64(source.value >> 16) &+ UInt64(source.value & 0xffff)
            &+ UInt64(destination.value >> 16) &+ UInt64(destination.value & 0xffff)
            &+ UInt64(protocolNumber) &+ UInt64(UInt32(truncatingIfNeeded: length))
    }

    /// RFC 1624 (eqn. 3) incremental update: the new checksum after one 16-bit field of the covered data
    /// changed from `oldValue` to `newValue`. HC' = ~(~HC + ~m + m').
    @inlinable
    public static func updated(_ checksum: UInt16, oldValue: UInt16, newValue: UInt16) -> UInt16 {
        let sum = UInt64(~checksum) &+ UInt64(~oldValue) &+ UInt64(newValue)
        return finish(sum)
    }

    /// RFC 1624 update for a changed 32-bit field (e.g. an IPv4 address), as two 16-bit changes.
    @inlinable
    public static func updated(_ checksum: UInt16, oldValue: UInt32, newValue: UInt32) -> UInt16 {
        let sum = UInt64(~checksum) &+ UInt64(~UInt16(truncatingIfNeeded: oldValue >> 16)) &+ UInt64(~UInt16(truncatingIfNeeded: oldValue))
            &+ UInt64(newValue >> 16) &+ UInt64(newValue & 0xffff)
        return finish(sum)
    }
}
