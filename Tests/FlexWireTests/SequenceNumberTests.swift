import FlexPort
import FlexWire
import Testing

@Suite("TCP sequence numbers modulo 2^32")
struct SequenceNumberTests {
    @Test("ordering follows the signed distance, across the wrap")
    func orderingAcrossWrap() {
        let beforeWrap = SequenceNumber(0xffff_fff0)
        let afterWrap = SequenceNumber(0x10)
        #expect(beforeWrap < afterWrap)
        #expect(afterWrap > beforeWrap)
        #expect(!(afterWrap < beforeWrap))
        #expect(SequenceNumber(5) < SequenceNumber(6))
        #expect(!(SequenceNumber(6) < SequenceNumber(6)) && SequenceNumber(6) <= SequenceNumber(6))
        #expect([SequenceNumber(0x10), SequenceNumber(0xffff_fff0), SequenceNumber(0)].sorted()
            == [SequenceNumber(0xffff_fff0), SequenceNumber(0), SequenceNumber(0x10)])
    }

    @Test("numbers 2^31 apart are neither less nor greater")
    func antipodal() {
        let a = SequenceNumber(1)
        let b = SequenceNumber(0x8000_0001)
        #expect(!(a < b) && !(b < a) && a != b)
    }

    @Test("adding wraps; distance is signed")
    func arithmetic() {
        let start = SequenceNumber(0xffff_ff00)
        #expect(start + 0x200 == SequenceNumber(0x100))
        #expect((start + 0x200) - start == 0x200)
        #expect(start - (start + 0x200) == -0x200)
        #expect(start.distance(to: SequenceNumber(0x100)) == 0x200)
        #expect(start.advanced(by: 0x200) == SequenceNumber(0x100))
        #expect(SequenceNumber(0x100).advanced(by: -0x200) == start)
        #expect(SequenceNumber(3) - UInt32(5) == SequenceNumber(0xffff_fffe))
        var moving = start
        moving += 0x100
        #expect(moving == SequenceNumber(0))
    }

    @Test("for random pairs within 2^31, order agrees with the distance and is antisymmetric")
    func randomPairs() {
        var random = SeededRandom(seed: 793)
        for _ in 0..<10_000 {
            let a = SequenceNumber(UInt32.random(in: 0...UInt32.max, using: &random))
            let offset = UInt32.random(in: 1...0x7fff_ffff, using: &random)
            let b = a + offset
            #expect(a < b && !(b < a))
            #expect(a.distance(to: b) == Int32(offset) && b.distance(to: a) == -Int32(offset))
        }
    }
}
