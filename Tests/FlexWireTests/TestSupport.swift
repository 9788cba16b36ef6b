#if canImport(Glibc)
import Glibc
#endif
import FlexWire

extension Array where Element == UInt8 {
    /// Bytes from hex text (whitespace ignored); traps on malformed text, which is a bug in the test.
    init(hex: String) {
        let digits = hex.filter { !$0.isWhitespace }.map { $0.hexDigitValue! }
        precondition(digits.count % 2 == 0, "odd number of hex digits")
        self = stride(from: 0, to: digits.count, by: 2).map { UInt8(digits[$0] << 4 | digits[$0 + 1]) }
    }
}

/// Memory whose usable bytes end right before an inaccessible page, so any read or write past
/// the bytes handed to the code under test faults instead of passing silently.
final class GuardedBuffer {
    private let mapping: UnsafeMutableRawPointer
    private let usableLength: Int
    private let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    init(capacity: Int) {
        usableLength = (capacity + pageSize - 1) / pageSize * pageSize
        let mapped = mmap(nil, usableLength + pageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        precondition(mapped != MAP_FAILED, "mmap failed")
        mapping = mapped!
        precondition(mprotect(mapping + usableLength, pageSize, PROT_NONE) == 0, "mprotect failed")
    }

    deinit { munmap(mapping, usableLength + pageSize) }

    /// Copies `bytes` so that they end at the guard page and returns their start.
    func place(_ bytes: UnsafeRawBufferPointer) -> UnsafeMutableRawPointer {
        precondition(bytes.count <= usableLength, "guarded buffer too small")
        let start = mapping + (usableLength - bytes.count)
        if let source = bytes.baseAddress { start.copyMemory(from: source, byteCount: bytes.count) }
        return start
    }

    func place(_ bytes: [UInt8]) -> UnsafeMutableRawPointer { bytes.withUnsafeBytes { place($0) } }

    /// `count` writable bytes ending at the guard page.
    func tail(_ count: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: mapping + (usableLength - count), count: count)
    }
}

/// Addresses from the benchmarking range used throughout the tests.
enum Sample {
    static let macA = MACAddress(0x02, 0, 0, 0, 0, 0x0a)
    static let macB = MACAddress(0x02, 0, 0, 0, 0, 0x0b)
    static let ipA = IPv4Address(198, 18, 0, 1)
    static let ipB = IPv4Address(198, 18, 0, 2)

    static func ethernet(vlan: VLANTag? = nil) -> EthernetRepr {
        EthernetRepr(destination: macB, source: macA, etherType: .ipv4, vlanTag: vlan)
    }

    static func ipv4(_ protocolNumber: IPProtocol = .tcp) -> IPv4Repr {
        IPv4Repr(source: ipA, destination: ipB, protocolNumber: protocolNumber, payloadLength: 0, identification: 0x1234)
    }
}

/// Parses a whole frame held in an array.
func parseFrame(_ bytes: [UInt8], verifyChecksums: Bool = true) throws -> ParsedFrame {
    try bytes.withUnsafeBytes { try ParsedFrame(parsing: $0, verifyChecksums: verifyChecksums) }
}

/// Builds a frame from headers and a payload.
func buildFrame(_ headers: FrameHeaders, payload: [UInt8] = []) throws -> [UInt8] {
    try headers.frame(payload: payload)
}

/// Runs `body` with the bytes as a read-only pointer and length (a one-byte stand-in when empty).
func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafeRawPointer, Int) throws -> R) rethrows -> R {
    try (bytes.isEmpty ? [0] : bytes).withUnsafeBytes { try body($0.baseAddress!, bytes.count) }
}

/// Runs `body` with the bytes as a mutable pointer and length, and returns the bytes afterwards.
func withMutableBytes(_ bytes: [UInt8], _ body: (UnsafeMutableRawPointer, Int) throws -> Void) rethrows -> [UInt8] {
    var copy = bytes
    try copy.withUnsafeMutableBytes { try body($0.baseAddress!, $0.count) }
    return copy
}
