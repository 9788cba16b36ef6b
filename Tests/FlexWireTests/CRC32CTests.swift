import FlexPort
import Foundation
import Testing
import FlexWire

private func randomBytes(_ count: Int, using generator: inout SeededRandom) -> [UInt8] {
    (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}

private let bothImplementations: [CRC32C.Implementation] = [.automatic, .software]

@Suite("CRC32C")
struct CRC32CTests {
    @Test("known answers: check value and RFC 3720 B.4 examples", arguments: bothImplementations)
    func knownAnswers(implementation: CRC32C.Implementation) {
        #expect(CRC32C.checksum(Array("123456789".utf8), using: implementation) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0x00, count: 32), using: implementation) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32), using: implementation) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0...31).map { UInt8($0) }, using: implementation) == 0x46DD_794E)
        #expect(CRC32C.checksum((0...31).reversed().map { UInt8($0) }, using: implementation) == 0x113F_DB5C)
        let scsiRead10CommandPDU: [UInt8] = [
            0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
            0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ]
        #expect(CRC32C.checksum(scsiRead10CommandPDU, using: implementation) == 0xD996_3A56)
        #expect(CRC32C.checksum([UInt8](), using: implementation) == 0)
    }

    @Test("data followed by its little-endian checksum always checks to the same constant", arguments: bothImplementations)
    func appendedChecksumGivesConstant(implementation: CRC32C.Implementation) {
        var generator = SeededRandom(seed: 7)
        for _ in 0..<200 {
            var bytes = randomBytes(Int.random(in: 0...3000, using: &generator), using: &generator)
            let checksum = CRC32C.checksum(bytes, using: implementation)
            withUnsafeBytes(of: checksum.littleEndian) { bytes.append(contentsOf: $0) }
            #expect(CRC32C.checksum(bytes, using: implementation) == 0x4867_4BC7)
        }
    }

    @Test("every input form gives the same checksum")
    func inputFormsAgree() {
        var generator = SeededRandom(seed: 11)
        let bytes = randomBytes(1000, using: &generator)
        let expected = CRC32C.checksum(bytes)
        #expect(CRC32C.checksum(bytes[...]) == expected)
        #expect(CRC32C.checksum(bytes.lazy.map { $0 }) == expected)  // no contiguous storage
        #expect(CRC32C.checksum(Data(bytes)) == expected)
        bytes.withUnsafeBytes { buffer in
            #expect(CRC32C.checksum(buffer) == expected)
            #expect(CRC32C.checksum(buffer.baseAddress!, count: buffer.count) == expected)
            #expect(CRC32C.finish(CRC32C.update(CRC32C.initialState, buffer)) == expected)
        }
        #expect(CRC32C.update(0x1234_5678, UnsafeRawBufferPointer(start: nil, count: 0)) == 0x1234_5678)
    }

    /// Every length up to 1 KiB, and lengths on both sides of each three-stream block size, from every
    /// start offset within 16 bytes.
    @Test("hardware and software agree on every short length and around block boundaries")
    func implementationsAgreeOnBoundaries() {
        var generator = SeededRandom(seed: 3)
        let buffer = randomBytes(3 * 4096 * 2 + 64, using: &generator)
        var lengths = Array(0...1024)
        for blockBytes in [3 * 64, 3 * 512, 3 * 4096, 2 * 3 * 4096] {
            lengths += (blockBytes - 17)...(blockBytes + 17)
        }
        buffer.withUnsafeBytes { buffer in
            for length in lengths {
                for offset in 0..<16 {
                    let start = buffer.baseAddress! + offset
                    let software = CRC32C.checksum(start, count: length, using: .software)
                    let automatic = CRC32C.checksum(start, count: length, using: .automatic)
                    #expect(automatic == software, "length \(length), offset \(offset)")
                }
            }
        }
    }

    @Test("hardware and software agree on random lengths up to 70 KiB at random offsets")
    func implementationsAgreeOnRandomLengths() {
        var generator = SeededRandom(seed: 5)
        let buffer = randomBytes(70 * 1024 + 64, using: &generator)
        buffer.withUnsafeBytes { buffer in
            for _ in 0..<2000 {
                let length = Int.random(in: 0...(70 * 1024), using: &generator)
                let offset = Int.random(in: 0..<64, using: &generator)
                let start = buffer.baseAddress! + offset
                let seed = UInt32.random(in: 0...UInt32.max, using: &generator)
                let software = CRC32C.update(seed, start, count: length, using: .software)
                let automatic = CRC32C.update(seed, start, count: length, using: .automatic)
                #expect(automatic == software, "length \(length), offset \(offset)")
            }
        }
    }

    @Test("streaming in random chunks equals one shot", arguments: bothImplementations)
    func streamingEqualsOneShot(implementation: CRC32C.Implementation) {
        var generator = SeededRandom(seed: 9)
        let bytes = randomBytes(70 * 1024, using: &generator)
        bytes.withUnsafeBytes { buffer in
            for _ in 0..<200 {
                let total = Int.random(in: 0...buffer.count, using: &generator)
                let expected = CRC32C.checksum(buffer.baseAddress!, count: total, using: implementation)
                var state = CRC32C.initialState
                var offset = 0
                while offset < total {
                    // Mostly small chunks, sometimes large ones, so splits land inside every block size.
                    let limit = Bool.random(using: &generator) ? 64 : 20_000
                    let chunk = min(Int.random(in: 0...limit, using: &generator), total - offset)
                    state = CRC32C.update(state, buffer.baseAddress! + offset, count: chunk, using: implementation)
                    offset += chunk
                }
                #expect(CRC32C.finish(state) == expected, "total \(total)")
            }
        }
    }

    #if os(Linux) && arch(x86_64)
    @Test("hardware detection matches the CPU flags the kernel reports")
    func detectionMatchesCPUFlags() throws {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flagsLine = try #require(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") })
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        #expect(CRC32C.isHardwareAccelerated == (flags.contains("sse4_2") && flags.contains("pclmulqdq")))
    }
    #endif
}
