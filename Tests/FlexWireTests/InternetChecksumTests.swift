import FlexPort
import FlexWire
import Testing

@Suite("Internet checksum (RFC 1071, RFC 1624)")
struct InternetChecksumTests {
    @Test("RFC 1071 §3 worked example: sum 0xDDF2, checksum 0x220D")
    func rfc1071Example() {
        let bytes: [UInt8] = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]
        bytes.withUnsafeBytes { buffer in
            let checksum = InternetChecksum.checksum(buffer.baseAddress!, count: buffer.count)
            #expect(checksum == 0x220d)
            #expect(~checksum == 0xddf2)
        }
    }

    @Test("checksumOfIPv4Header equals the general checksum over 20 bytes, for any header bytes")
    func ipv4HeaderChecksum() {
        var random = SeededRandom(seed: 1071)
        for _ in 0..<1_000 {
            let header = (0..<20).map { _ in UInt8.random(in: 0...255, using: &random) }
            header.withUnsafeBytes { buffer in
                #expect(InternetChecksum.checksumOfIPv4Header(buffer.baseAddress!)
                        == InternetChecksum.checksum(buffer.baseAddress!, count: 20))
            }
        }
    }

    @Test("an odd trailing byte counts as if padded with zero; even splits chain")
    func oddLengthAndChaining() {
        let odd: [UInt8] = [0x12, 0x34, 0x56, 0x78, 0x9a]
        let padded = odd + [0]
        let oddSum = odd.withUnsafeBytes { InternetChecksum.checksum($0.baseAddress!, count: $0.count) }
        let paddedSum = padded.withUnsafeBytes { InternetChecksum.checksum($0.baseAddress!, count: $0.count) }
        #expect(oddSum == paddedSum)
        let chained = odd.withUnsafeBytes { buffer in
            let first = InternetChecksum.partialSum(buffer.baseAddress!, count: 2)
            return InternetChecksum.finish(InternetChecksum.partialSum(buffer.baseAddress! + 2, count: 3, initial: first))
        }
        #expect(chained == oddSum)
    }

    @Test("RFC 1624 §4 example: 0xDD2F with 0x5555 → 0x3285 becomes 0x0000 (not 0xFFFF)")
    func rfc1624Example() {
        #expect(InternetChecksum.updated(0xdd2f, oldValue: UInt16(0x5555), newValue: UInt16(0x3285)) == 0x0000)
    }

    @Test("incremental updates of 16- and 32-bit fields equal full recomputation over random headers")
    func incrementalMatchesRecomputation() {
        var random = SeededRandom(seed: 1624)
        for _ in 0..<20_000 {
            var header = (0..<20).map { _ in UInt8.random(in: 0...255, using: &random) }
            header[0] = 0x45
            header[10] = 0
            header[11] = 0
            let original = checksum(of: header)
            header[10] = UInt8(original >> 8)
            header[11] = UInt8(original & 0xff)
            // A 16-bit word other than the checksum itself.
            let word = [0, 1, 2, 3, 4, 6, 7, 8, 9].randomElement(using: &random)! * 2
            let oldValue = UInt16(header[word]) << 8 | UInt16(header[word + 1])
            let newValue = UInt16.random(in: 0...0xffff, using: &random)
            var changed = header
            changed[word] = UInt8(newValue >> 8)
            changed[word + 1] = UInt8(newValue & 0xff)
            changed[10] = 0
            changed[11] = 0
            #expect(InternetChecksum.updated(original, oldValue: oldValue, newValue: newValue) == checksum(of: changed))
            // A 32-bit field: the destination address.
            let oldAddress = header[16...19].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let newAddress = UInt32.random(in: 0...UInt32.max, using: &random)
            var readdressed = header
            for index in 0..<4 { readdressed[16 + index] = UInt8(truncatingIfNeeded: newAddress >> (24 - 8 * UInt32(index))) }
            readdressed[10] = 0
            readdressed[11] = 0
            #expect(InternetChecksum.updated(original, oldValue: oldAddress, newValue: newAddress) == checksum(of: readdressed))
        }
    }

    @Test("the pseudo-header sum is what RFC 768/793 add: addresses, protocol and length as 16-bit words")
    func pseudoHeader() {
        let sum = InternetChecksum.pseudoHeaderSum(source: Sample.ipA, destination: Sample.ipB, protocolNumber: 6, length: 40)
        // 0xC612 + 0x0001 + 0xC612 + 0x0002 + 0x06 + 0x28 = 0x18C55; folded 0x8C56; complemented 0x73A9.
        #expect(InternetChecksum.finish(sum) == 0x73a9)
    }

    private func checksum(of bytes: [UInt8]) -> UInt16 {
        bytes.withUnsafeBytes { InternetChecksum.checksum($0.baseAddress!, count: $0.count) }
    }
}
