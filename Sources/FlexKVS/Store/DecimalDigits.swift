/// The decimal digits of a 64-bit number, built without allocation (at most 20 digits).
struct DecimalDigits {
    private var storage: (UInt64, UInt64, UInt64) = (0, 0, 0)
    private(set) var count = 0

    init(_ value: UInt64) {
        var remaining = value
        var scratch = (UInt64(0), UInt64(0), UInt64(0))
        var length = 0
        withUnsafeMutableBytes(of: &scratch) { buffer in
            repeat {
                buffer[19 - length] = UInt8(0x30 + remaining % 10)
                remaining /= 10
                length += 1
            } while remaining > 0
        }
        count = length
        withUnsafeMutableBytes(of: &storage) { target in
            withUnsafeBytes(of: &scratch) { source in
                for index in 0..<length { target[index] = source[20 - length + index] }
            }
        }
    }

    /// Calls `body` with the digits.
    mutating func withBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        let length = count
        return withUnsafeBytes(of: &storage) { body(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
    }
}
