@testable import FlexBench
import Testing

@Suite struct FramingTests {
    @Test func outputBufferKeepsPendingBytesContiguousAcrossCompaction() {
        let buffer = OutputBuffer(capacity: 10)
        for (index, value) in [UInt8(1), 2, 3, 4, 5, 6].enumerated() {
            buffer.reserve(1).storeBytes(of: value, as: UInt8.self)
            buffer.commit(1)
            #expect(buffer.count == index + 1)
        }
        buffer.consume(4)
        // 2 waiting at offsets 4…5; 7 more fit only after moving them to the front.
        let destination = buffer.reserve(7)
        for offset in 0..<7 { destination.storeBytes(of: UInt8(10 + offset), toByteOffset: offset, as: UInt8.self) }
        buffer.commit(7)
        #expect(Array(buffer.pending) == [5, 6, 10, 11, 12, 13, 14, 15, 16])
        #expect(buffer.freeSpace == 1)
        buffer.consume(9)
        #expect(buffer.isEmpty)
        #expect(buffer.freeSpace == 10)
    }

    @Test(arguments: [1, 3, 8, 64])
    func assemblerFindsEveryMessageWhateverTheCuts(size: Int) {
        assemble(size: size, cuts: Array(1...7))
    }

    /// Pieces that hold whole stamps (read with one load), whole messages, and stamps cut anywhere.
    @Test(arguments: [8, 9, 64])
    func assemblerReadsWholeStampsInLongPieces(size: Int) {
        assemble(size: size, cuts: [size, 13, 5, 3 * size + 1, 8, 2 * size - 3])
    }

    /// 50 stamped messages of `size` bytes fed to an assembler in pieces of the `cuts` lengths in turn.
    private func assemble(size: Int, cuts: [Int]) {
        let stamp = MessageStamp(messageSize: size)
        var stream = [UInt8](repeating: 0xee, count: size * 50)
        stream.withUnsafeMutableBytes { bytes in
            for sequence in 0..<50 { stamp.write(UInt64(sequence) &* 0x0101_0101_0101, to: bytes.baseAddress! + sequence * size) }
        }
        var assembler = MessageAssembler(messageSize: size)
        var stamps: [UInt64] = []
        var position = 0
        var piece = 0
        while position < stream.count {
            let end = min(stream.count, position + cuts[piece % cuts.count])
            stream[position..<end].withUnsafeBytes { assembler.consume($0) { stamps.append($0) } }
            position = end
            piece += 1
        }
        #expect(stamps.count == 50)
        for (sequence, value) in stamps.enumerated() {
            #expect(stamp.matches(value, sequence: UInt64(sequence) &* 0x0101_0101_0101))
        }
        #expect(!stamp.matches(stamps[1], sequence: 0x0101_0101_0101 * 2))
    }
}
