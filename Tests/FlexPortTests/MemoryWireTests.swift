import FlexPort
import FlexWire
import Testing

/// A frame of `length` bytes carrying `sequence` (big-endian) at offset 14 and a byte pattern after it.
func sequencedFrame(_ sequence: UInt32, length: Int = 64) -> [UInt8] {
    var frame = [UInt8](repeating: 0, count: length)
    for index in 0..<length { frame[index] = UInt8(truncatingIfNeeded: index &+ Int(sequence)) }
    withUnsafeBytes(of: sequence.bigEndian) { for (offset, byte) in $0.enumerated() { frame[14 + offset] = byte } }
    return frame
}

/// The sequence number `sequencedFrame` stored in `bytes`.
func sequence(of bytes: UnsafeRawPointer) -> UInt32 {
    UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 14, as: UInt32.self))
}

@Suite struct MemoryWireTests {
    @Test func deliversInOrderBothWays() throws {
        let wire = try MemoryWire(capacity: 16)
        for (sender, receiver) in [(wire.a, wire.b), (wire.b, wire.a)] {
            let frames = (0..<10).map { sequencedFrame(UInt32($0), length: 60 + $0) }
            for frame in frames { #expect(sender.transmit(frame)) }
            #expect(receiver.receiveCopies() == frames)
            #expect(receiver.receiveCopies().isEmpty)
            #expect(sender.statistics.transmittedFrames == 10)
            #expect(receiver.statistics.receivedFrames == 10)
            #expect(receiver.statistics.receivedBytes == UInt64(frames.reduce(0) { $0 + $1.count }))
        }
        #expect(wire.a.macAddress != wire.b.macAddress)
        #expect(wire.a.maximumFrameLength == 1514)
    }

    @Test func fullRingDropsAndCountsTheExcess() throws {
        let wire = try MemoryWire(capacity: 8)
        let frames = (0..<20).map { sequencedFrame(UInt32($0)) }
        let sent = frames.filter { wire.a.transmit($0) }.count
        #expect(sent == 8)
        #expect(wire.a.statistics.transmitDrops == 12)
        #expect(wire.b.receiveCopies() == Array(frames[0..<8]))
        // The consumer gave the slots back: the ring takes eight more.
        #expect(frames[8..<16].filter { wire.a.transmit($0) }.count == 8)
        #expect(wire.b.receiveCopies() == Array(frames[8..<16]))
    }

    @Test func batchLargerThanRingDropsOnlyWrittenFrames() throws {
        let wire = try MemoryWire(capacity: 4, overflowCapacity: 4)
        let batch = FrameBatch(capacity: 16)
        #expect(wire.a.reserveTransmit(into: batch, count: 16) == 8)
        for index in 0..<6 { write(sequencedFrame(UInt32(index)), into: batch, at: index) }
        #expect(wire.a.commitTransmit(batch) == 4)
        #expect(batch.isEmpty)
        #expect(wire.a.statistics.transmitDrops == 2)
        #expect(wire.b.receiveCopies().map { $0.withUnsafeBytes { sequence(of: $0.baseAddress!) } } == [0, 1, 2, 3])
    }

    @Test func zeroLengthSlotsAreGivenBackAndGapsClosed() throws {
        let wire = try MemoryWire(capacity: 8, overflowCapacity: 0)
        let batch = FrameBatch(capacity: 8)
        #expect(wire.a.reserveTransmit(into: batch, count: 8) == 8)
        #expect(wire.a.commitTransmit(batch) == 0)
        #expect(wire.a.reserveTransmit(into: batch, count: 8) == 8, "unwritten slots came back")
        let written = [1, 4, 5, 7]
        for index in written { write(sequencedFrame(UInt32(index), length: 100 + index), into: batch, at: index) }
        #expect(wire.a.commitTransmit(batch) == 4)
        // Four slots stay free for the sender while the receiver holds the four frames.
        #expect(wire.a.reserveTransmit(into: batch, count: 8) == 4)
        #expect(wire.a.commitTransmit(batch) == 0)
        #expect(wire.b.receiveCopies() == written.map { sequencedFrame(UInt32($0), length: 100 + $0) })
        #expect(wire.a.statistics.transmitDrops == 0)
    }

    @Test func oversizeFramesAreDropped() throws {
        let wire = try MemoryWire(capacity: 4, maximumFrameLength: 128)
        let batch = FrameBatch(capacity: 2)
        #expect(wire.a.reserveTransmit(into: batch, count: 2) == 2)
        batch[0].length = 129
        batch[1].length = -1
        #expect(wire.a.commitTransmit(batch) == 0)
        #expect(wire.a.statistics.transmitDrops == 2)
        #expect(!wire.a.transmit(sequencedFrame(0, length: 200)))
        #expect(wire.b.receiveCopies().isEmpty)
    }

    @Test func releaseKeepsViewsUntilCalled() throws {
        let wire = try MemoryWire(capacity: 4, overflowCapacity: 0)
        for index in 0..<4 { #expect(wire.a.transmit(sequencedFrame(UInt32(index)))) }
        let batch = FrameBatch(capacity: 8)
        #expect(wire.b.receive(into: batch) == 4)
        #expect(!wire.a.transmit(sequencedFrame(9)), "slots lent to the receiver are not free")
        #expect((0..<4).map { sequence(of: batch[$0].bytes) } == [0, 1, 2, 3])
        wire.b.releaseReceived(batch)
        #expect(batch.isEmpty)
        #expect(wire.a.transmit(sequencedFrame(9)))
    }

    @Test func waitReturnsAtOnceWhenFramesArePendingOrNoTimeIsGiven() throws {
        let wire = try MemoryWire(capacity: 4)
        #expect(!wire.b.waitForFrames(timeoutNanoseconds: 0))
        #expect(!wire.b.waitForFrames(timeoutNanoseconds: 1_000_000))
        #expect(wire.a.transmit(sequencedFrame(1)))
        #expect(wire.b.waitForFrames(timeoutNanoseconds: 0))
        #expect(wire.b.waitForFrames(timeoutNanoseconds: 60_000_000_000))
    }
}

/// Copies `frame` into the reserved slot `index` of `batch` and sets its length.
func write(_ frame: [UInt8], into batch: FrameBatch, at index: Int) {
    var slot = batch[index]
    frame.withUnsafeBytes { slot.bytes.copyMemory(from: $0.baseAddress!, byteCount: frame.count) }
    slot.length = frame.count
    batch[index] = slot
}
