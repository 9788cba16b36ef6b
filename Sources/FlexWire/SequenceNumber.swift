/// A 32-bit TCP sequence number with arithmetic modulo 2^32 (RFC 793 §3.3, RFC 1982).
///
/// Contract: `a < b` iff `b - a`, read as a signed 32-bit distance, is positive. This is an order only
/// within any window of less than 2^31; numbers exactly 2^31 apart are neither less nor greater.
/// Adding and subtracting wrap and never trap.
public struct SequenceNumber: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var rawValue: UInt32

    @inlinable public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// The number `offset` positions later (earlier when negative), wrapping.
    @inlinable
    public func advanced(by offset: Int32) -> SequenceNumber {
        SequenceNumber(rawValue &+ UInt32(bitPattern: offset))
    }

    /// The signed distance from `self` to `other`: positive when `other` is later.
    @inlinable
    public func distance(to other: SequenceNumber) -> Int32 {
        Int32(bitPattern: other.rawValue &- rawValue)
    }

    @inlinable
    public static func + (lhs: SequenceNumber, rhs: UInt32) -> SequenceNumber { SequenceNumber(lhs.rawValue &+ rhs) }

    @inlinable
    public static func += (lhs: inout SequenceNumber, rhs: UInt32) { lhs.rawValue &+= rhs }

    @inlinable
    public static func - (lhs: SequenceNumber, rhs: UInt32) -> SequenceNumber { SequenceNumber(lhs.rawValue &- rhs) }

    /// The signed distance `rhs` → `lhs` (positive when `lhs` is later).
    @inlinable
    public static func - (lhs: SequenceNumber, rhs: SequenceNumber) -> Int32 { rhs.distance(to: lhs) }

    @inlinable
    public static func < (lhs: SequenceNumber, rhs: SequenceNumber) -> Bool { lhs.distance(to: rhs) > 0 }

    public var description: String { String(rawValue) }
}
