/// The decimal digits of a 64-bit number, built without allocation (at most 20 digits).
struct DecimalDigits {
    private var storage: (UInt64, UInt64, UInt64) = (0, 0, 0)
    private(set) var count = 0

    init(_ value: UInt64) {
        var length = 1
        var rest = value / 10
        while rest > 0 {
            length += 1
            rest /= 10
        }
        count = length
        var remaining = value
        withUnsafeMutableBytes(of: &storage) { target in
            var index = length
            repeat {
                index -= 1
                target[index] = UInt8(truncatingIfNeeded: 0x30 &+ remaining % 10)
                remaining /= 10
            } while remaining > 0
        }
    }

    /// Calls `body` with the digits.
    mutating func withBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        let length = count
        return withUnsafeBytes(of: &storage) { body(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
    }
}
