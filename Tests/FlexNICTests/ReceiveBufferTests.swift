import FlexNIC
import FlexPort
import FlexWire
import Testing

@Suite("FlexNIC host interface: receive buffers the host posts, completions, exhaustion and hostile postings")
struct ReceiveBufferTests {
    /// A NIC that steers every memcached GET to queue 0, whose buffers the host posts itself; the queue and the buffer area.
    private static func harness(capacity: Int = 4) throws -> (NICTestHarness, ReceiveQueue, Range<Int>) {
        let harness = try NICTestHarness(Multiplexing.memcachedByOpcode(queues: [0: 0]), queueCount: 1, queueCapacity: capacity,
                                         postsReceiveBuffers: false)
        return (harness, harness.nic.queues[0], harness.nic.hostInterface.receiveBufferArea)
    }

    private static func frames(_ count: Int) throws -> [[UInt8]] {
        try (0..<count).map { try NICTestFrames.memcachedUDP(opcode: 0, key: Array("key-\($0)".utf8)) }
    }

    /// The completion at free-running index `index`, read raw from shared memory as software would.
    private static func completion(_ queue: ReceiveQueue, _ index: Int) -> (length: UInt32, address: UInt32, bufferLength: UInt32) {
        let descriptor = queue.region.base + queue.completions.offset + 128 + (index % queue.capacity) * 16
        return (UInt32(littleEndian: descriptor.loadUnaligned(as: UInt32.self)),
                UInt32(littleEndian: descriptor.loadUnaligned(fromByteOffset: 8, as: UInt32.self)),
                UInt32(littleEndian: descriptor.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
    }

    private static func bytes(_ queue: ReceiveQueue, at offset: Int, count: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: queue.region.base + offset, count: count))
    }

    @Test("frames land in the buffers the host posted, in posting order; without a posted buffer the frame is dropped and counted")
    func framesLandInPostedBuffers() throws {
        let (harness, queue, area) = try Self.harness()
        #expect(queue.freeCount == 0 && queue.freeBuffers.isEmpty, "nothing posted yet")
        let offsets = [area.lowerBound + 3_000, area.lowerBound + 64, area.lowerBound + 5_000]
        for offset in offsets { #expect(queue.postBuffer(offset: offset, length: 512)) }
        let frames = try Self.frames(4)
        #expect(harness.deliver(frames).isEmpty)
        #expect(harness.nic.nicStatistics.delivered == [3])
        #expect(harness.nic.nicStatistics.noBufferDrops == 1, "the fourth frame found no buffer")
        for (index, offset) in offsets.enumerated() {
            let completion = Self.completion(queue, index)
            #expect(Int(completion.address) == offset && completion.bufferLength == 512)
            #expect(Int(completion.length) == frames[index].count)
            #expect(Self.bytes(queue, at: offset, count: frames[index].count) == frames[index], "the frame is in the host's buffer")
            #expect(Self.bytes(queue, at: offset + frames[index].count, count: 16) == Array(repeating: 0, count: 16),
                    "nothing written past the frame")
        }
        #expect(harness.drain(queue: 0).map(\.bytes) == Array(frames.prefix(3)))
    }

    @Test("a buffer is written again only after the host posts it again; removeFront posts it for the host")
    func buffersAreReusedAfterReposting() throws {
        let (harness, queue, area) = try Self.harness()
        let frames = try Self.frames(5)
        #expect(queue.postBuffer(offset: area.lowerBound + 1_024, length: 256))
        #expect(harness.deliver([frames[0], frames[1]]).isEmpty)
        #expect(harness.nic.nicStatistics.noBufferDrops == 1)
        let held = try #require(queue.takeFront())
        #expect(held.offset == area.lowerBound + 1_024 && held.length == 256)
        #expect(harness.deliver([frames[2]]).isEmpty)
        #expect(harness.nic.nicStatistics.noBufferDrops == 2, "a buffer the host holds is not written")
        #expect(Self.bytes(queue, at: held.offset, count: frames[0].count) == frames[0], "the held buffer keeps its frame")
        #expect(queue.postBuffer(offset: held.offset, length: held.length))
        #expect(harness.deliver([frames[3]]).isEmpty)
        #expect(queue.front.map { Array($0.bytes) } == frames[3])
        #expect(Int(Self.completion(queue, 1).address) == held.offset, "the re-posted buffer took the next frame")
        queue.removeFront()
        #expect(queue.freeCount == 1, "removeFront posted the buffer again")
        #expect(harness.deliver([frames[4]]).isEmpty)
        #expect(harness.drain(queue: 0).map(\.bytes) == [frames[4]])
        #expect(harness.nic.nicStatistics.delivered == [3])
    }

    @Test("flow control: the NIC acknowledges only while the host has buffers posted")
    func acknowledgementsNeedPostedBuffers() throws {
        let harness = try NICTestHarness(FlowControlACK.program(port: 5000, queue: 0), queueCount: 1, queueCapacity: 8, postsReceiveBuffers: false)
        let queue = harness.nic.queues[0]
        let data = try NICTestFrames.dccp(ports: (41_000, 5000), type: UInt8(StandardParseGraph.dccpData), sequence: 7)
        #expect(queue.postBuffer(offset: harness.nic.hostInterface.receiveBufferArea.lowerBound, length: 2_048))
        #expect(harness.deliver([data, data]).isEmpty)
        #expect(harness.wire.a.receiveCopies().count == 1, "one ACK: the second packet found no buffer")
        #expect(harness.nic.nicStatistics.noBufferDrops == 1 && harness.nic.nicStatistics.repliesSent == 1)
    }

    @Test("hostile postings are refused and counted, never written through: outside the buffer area, zero length, too long")
    func hostilePostingsRefused() throws {
        let (harness, queue, area) = try Self.harness(capacity: 8)
        let ringMemory = Self.bytes(queue, at: queue.completions.offset, count: 128 + 8 * 16)
        #expect(queue.postBuffer(offset: area.upperBound - 100, length: 512), "straddles the area's end")
        #expect(queue.postBuffer(offset: queue.completions.offset, length: 512), "the completion ring itself")
        #expect(queue.postBuffer(offset: area.lowerBound, length: 0))
        #expect(queue.postBuffer(offset: area.lowerBound + 512, length: Int(UInt32.max)))
        #expect(queue.postBuffer(offset: area.lowerBound + 2_048, length: 512))
        let frame = try Self.frames(1)[0]
        #expect(harness.deliver([frame]).isEmpty)
        #expect(queue.refusedBuffers == 4)
        #expect(harness.nic.nicStatistics.delivered == [1])
        #expect(Int(Self.completion(queue, 0).address) == area.lowerBound + 2_048)
        #expect(Self.bytes(queue, at: area.upperBound - 100, count: 100) == Array(repeating: 0, count: 100))
        #expect(Self.bytes(queue, at: area.lowerBound, count: 2_048) == Array(repeating: 0, count: 2_048))
        var ringAfter = Self.bytes(queue, at: queue.completions.offset, count: 128 + 8 * 16)
        // Only the completion ring's producer index and its first descriptor changed.
        ringAfter.replaceSubrange(0..<4, with: ringMemory[0..<4])
        ringAfter.replaceSubrange(128..<144, with: ringMemory[128..<144])
        #expect(ringAfter == ringMemory)
    }

    @Test("a buffer too small for the frame is not written: the frame is dropped and counted, the buffer stays posted")
    func bufferTooSmall() throws {
        let (harness, queue, area) = try Self.harness()
        #expect(queue.postBuffer(offset: area.lowerBound, length: 40))
        let frame = try Self.frames(1)[0]
        #expect(harness.deliver([frame]).isEmpty)
        #expect(harness.nic.nicStatistics.bufferTooSmallDrops == 1)
        #expect(Self.bytes(queue, at: area.lowerBound, count: 64) == Array(repeating: 0, count: 64))
        #expect(queue.freeBuffers.consumerIndex == 0 && queue.freeCount == 1, "the buffer is still posted")
    }

    @Test("ring indices the host moves beyond its rings stop deliveries (counted) until fixed; the NIC's own indices cannot be moved")
    func hostileIndicesRefused() throws {
        let (harness, queue, area) = try Self.harness()
        let frames = try Self.frames(4)
        let freeProducer = queue.region.base + queue.freeBuffers.offset
        let freeConsumer = freeProducer + 64
        let completionConsumer = queue.region.base + queue.completions.offset + 64
        #expect(queue.postBuffer(offset: area.lowerBound, length: 512))
        // The host claims five posted buffers in a ring of four.
        freeProducer.storeBytes(of: UInt32(5).littleEndian, as: UInt32.self)
        #expect(harness.deliver([frames[0]]).isEmpty)
        #expect(harness.nic.nicStatistics.ringIndexDrops == 1 && queue.freeCount == 0)
        freeProducer.storeBytes(of: UInt32(1).littleEndian, as: UInt32.self)
        #expect(harness.deliver([frames[1]]).isEmpty)
        #expect(harness.nic.nicStatistics.delivered == [1])
        // The host moves the NIC's free-ring consumer index back: the NIC keeps its own and will not reuse the buffer.
        freeConsumer.storeBytes(of: UInt32(0).littleEndian, as: UInt32.self)
        #expect(harness.deliver([frames[2]]).isEmpty)
        #expect(harness.nic.nicStatistics.noBufferDrops == 1)
        // The host's completion consumer index runs ahead of what the NIC produced.
        #expect(queue.postBuffer(offset: area.lowerBound + 512, length: 512))
        completionConsumer.storeBytes(of: UInt32(3).littleEndian, as: UInt32.self)
        #expect(harness.deliver([frames[3]]).isEmpty)
        #expect(harness.nic.nicStatistics.ringIndexDrops == 2)
        #expect(Self.bytes(queue, at: area.lowerBound + 512, count: 64) == Array(repeating: 0, count: 64), "nothing written")
        #expect(harness.nic.nicStatistics.delivered == [1])
    }
}
