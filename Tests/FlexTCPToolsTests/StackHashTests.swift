import FlexTCPTools
import Testing

@Suite("SHA-256 and the seeded stream")
struct StackHashTests {
    @Test("FIPS 180-4 examples: empty, abc, two blocks, a million a's")
    func knownDigests() {
        var empty = SHA256()
        #expect(empty.hexDigest() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var abc = SHA256()
        abc.update(Array("abc".utf8))
        #expect(abc.hexDigest() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var twoBlocks = SHA256()
        twoBlocks.update(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
        #expect(twoBlocks.hexDigest() == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var million = SHA256()
        let chunk = [UInt8](repeating: 0x61, count: 1000)
        for _ in 0..<1000 { million.update(chunk) }
        #expect(million.hexDigest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("The seeded stream is the same however it is cut into chunks")
    func streamChunking() {
        var whole = SeededByteStream(seed: 3)
        var pieces = SeededByteStream(seed: 3)
        var a = [UInt8](repeating: 0, count: 1000)
        var b = [UInt8](repeating: 0, count: 1000)
        a.withUnsafeMutableBytes { whole.fill($0) }
        b.withUnsafeMutableBytes { buffer in
            var offset = 0
            for size in [1, 7, 8, 13, 200, 771] {
                pieces.fill(UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + size]))
                offset += size
            }
        }
        #expect(a == b)
        #expect(Set(a).count > 200)
    }
}
