/// A value an action primitive reads: a named field (packet, header or metadata field), a constant,
/// or a parameter of the table entry that selected the action.
public enum Operand: Sendable, Equatable, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    case field(String)
    case constant(UInt64)
    case parameter(Int)

    public init(integerLiteral value: UInt64) { self = .constant(value) }
    public init(stringLiteral value: String) { self = .field(value) }
}

/// The metadata fields every program has (besides any it declares): where the packet goes and what
/// the NIC does with it after the last stage. Programs usually set them through primitives.
public enum Metadata {
    /// Destination software queue; `noQueue` (the initial value) passes the packet to the host stack.
    public static let queue = "meta.queue"
    /// Nonzero: drop the packet; the value is the reason code plus one.
    public static let drop = "meta.drop"
    /// Nonzero: divert the packet to the exception queue; the value is the reason code plus one.
    public static let exception = "meta.exception"
    /// A 32-bit value written into the packet's descriptor in its output queue (software reads it).
    public static let descriptor = "meta.descriptor"
    /// Queue-manager bucket and the tokens to add to it.
    public static let bucket = "meta.bucket"
    public static let tokens = "meta.tokens"
    /// The value of `meta.queue` that means "no queue: pass to the host stack".
    public static let noQueue: UInt64 = .max

    /// Every built-in metadata field, in slot order.
    static let all = [queue, drop, exception, descriptor, bucket, tokens]
}
