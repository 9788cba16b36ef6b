#if canImport(Glibc)
import Glibc

/// An IPv4 interface address with prefix length ("198.18.3.1/24") inside 198.18.0.0/15, the range
/// reserved for benchmarking (RFC 2544) and the only range test hosts may use.
///
/// Contract: `init` throws `TestHostError.addressOutsideTestRange` for anything else, including
/// prefixes shorter than /15 (whose subnet would reach outside the range).
public struct TestAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address without prefix length, e.g. "198.18.3.1".
    public let address: String
    public let prefixLength: Int

    public init(_ text: String) throws(TestHostError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let prefixLength = Int(parts[1]), (15...32).contains(prefixLength) else {
            throw .addressOutsideTestRange(text)
        }
        var parsed = in_addr()
        guard inet_pton(AF_INET, String(parts[0]), &parsed) == 1,
              UInt32(bigEndian: parsed.s_addr) & 0xFFFE_0000 == 0xC612_0000 else {
            throw .addressOutsideTestRange(text)
        }
        address = String(parts[0])
        self.prefixLength = prefixLength
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
#endif
