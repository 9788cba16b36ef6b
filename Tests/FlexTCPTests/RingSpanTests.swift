@testable import FlexTCP
import Testing

@Suite("RingSpan")
struct RingSpanTests {
    @Test("A span across the ring's wrap reads and writes in order; copies are clamped to both sides, never beyond")
    func wrapAndClamp() {
        let ring = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 1)
        defer { ring.deallocate() }
        ring.initializeMemory(as: UInt8.self, repeating: 0, count: 8)
        // Six bytes from position 5: three at the end, three at the start.
        let span = RingSpan(base: ring, size: 8, position: 5, count: 6)
        #expect(span.copyBytes(from: Array(1...10) as [UInt8]) == 6, "only what fits")
        #expect(Array(span) == [1, 2, 3, 4, 5, 6])
        #expect(Array(UnsafeRawBufferPointer(start: ring, count: 8)) == [4, 5, 6, 0, 0, 1, 2, 3])
        #expect(span.copyBytes(from: [9, 9] as [UInt8], at: 6) == 0, "an offset at the end copies nothing")
        #expect(span.copyBytes(from: (0..<4).lazy.map { UInt8($0 + 20) }, at: 4) == 2, "non-contiguous sources too")
        #expect(Array(span) == [1, 2, 3, 4, 20, 21])
        var small = [UInt8](repeating: 0, count: 4)
        #expect(small.withUnsafeMutableBytes { span.copyBytes(to: $0) } == 4)
        #expect(small == [1, 2, 3, 4])
        let target = UnsafeMutableRawPointer.allocate(byteCount: 4, alignment: 1)
        defer { target.deallocate() }
        target.initializeMemory(as: UInt8.self, repeating: 0, count: 4)
        #expect(span.copyBytes(to: RingSpan(base: target, size: 4, position: 3, count: 3)) == 3, "ring to ring, both wrapping")
        #expect(Array(UnsafeRawBufferPointer(start: target, count: 4)) == [2, 3, 0, 1])
        #expect(RingSpan.empty.copyBytes(from: [1] as [UInt8]) == 0 && RingSpan.empty.isEmpty)
    }
}
