import FlexNIC
import FlexPort
import FlexWire
import Testing

@Suite("FlexNIC key-based steering")
struct KeySteeringTests {
    static let queueCount = 4

    static func key(_ index: Int) -> [UInt8] { Array("key:\(index * 7919)".utf8) }
    static func queue(of key: [UInt8]) -> Int { Int((CRC32C.checksum(key) >> 8) & UInt32(queueCount - 1)) }

    @Test("both programs pass the validator")
    func validates() throws {
        for placesSets in [false, true] {
            let program = KeySteering.program(queueCount: Self.queueCount, placesSets: placesSets)
            try Validator().validate(program)
            _ = try Pipeline(program: program, queueCount: Self.queueCount)
        }
    }

    @Test("GETs and SETs go to the queue their key's CRC32C picks, the CRC32C relayed in the descriptor")
    func steersByKey() throws {
        let harness = try NICTestHarness(KeySteering.program(queueCount: Self.queueCount, placesSets: false), queueCount: Self.queueCount,
                                         queueCapacity: 1024)
        let keys = (0..<400).map(Self.key)
        let frames = try keys.enumerated().map { index, key in
            index % 2 == 0 ? try MemcachedUDPFrame.get(key) : try MemcachedUDPFrame.set(key, value: Array(repeating: 0x61, count: 64))
        }
        #expect(harness.deliver(frames).isEmpty, "every request is steered")
        var seen = 0
        var used = Set<Int>()
        for queue in 0..<Self.queueCount {
            for entry in harness.drain(queue: queue) {
                let index = try #require(frames.firstIndex(of: entry.bytes), "a queue holds a request as it arrived")
                #expect(Self.queue(of: keys[index]) == queue)
                #expect(entry.descriptor == CRC32C.checksum(keys[index]))
                used.insert(queue)
                seen += 1
            }
        }
        #expect(seen == keys.count)
        #expect(used.count == Self.queueCount, "400 keys spread over every queue")
    }

    @Test("what is not a single-datagram binary GET or SET passes to the host")
    func passesTheRest() throws {
        let harness = try NICTestHarness(KeySteering.program(queueCount: Self.queueCount, placesSets: true), queueCount: Self.queueCount)
        let delete = try MemcachedUDPFrame.request(opcode: 0x04, key: Array("k".utf8))
        // Text requests of at least 24 bytes (shorter ones are parse errors of the binary header).
        let textGet = Array("get key:00000000000000000000000001\r\n".utf8)
        let text = try NICTestFrames.udp(ports: (40_000, 11211), payload: [0, 1, 0, 0, 0, 1, 0, 0] + textGet)
        let tcp = try NICTestFrames.tcp(ports: (40_000, 11211), payload: textGet)
        #expect(harness.deliver([delete, text, tcp]) == [delete, text, tcp])
    }

    @Test("DMA path: a SET is copied into its queue's log at log_head, which advances; the entry carries the item's address")
    func placesSets() throws {
        let program = KeySteering.program(queueCount: Self.queueCount, placesSets: true)
        let harness = try NICTestHarness(program, queueCount: Self.queueCount)
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 64)
        defer { memory.deallocate() }
        memory.initializeMemory(as: UInt8.self, repeating: 0)
        harness.nic.hostMemory = memory
        for queue in 0..<Self.queueCount {
            try harness.program.writeRegister(KeySteering.logHead, index: queue, value: UInt64(queue * 4096))
            try harness.program.writeRegister(KeySteering.logEnd, index: queue, value: UInt64(queue * 4096 + 4096))
        }
        let keys = (0..<40).map(Self.key)
        let value = Array(repeating: UInt8(0x76), count: 64)
        let frames = try keys.map { try MemcachedUDPFrame.set($0, value: value, flags: 0xABCD, expiry: 0) }
        #expect(harness.deliver(frames).isEmpty)
        var expectedHead = (0..<Self.queueCount).map { $0 * 4096 }
        for queue in 0..<Self.queueCount {
            for entry in harness.drain(queue: queue) {
                let payload = entry.bytes[(14 + 20 + 8 + 8)...]
                let address = payload[payload.startIndex + 16..<payload.startIndex + 24].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                #expect(Int(address) == expectedHead[queue], "items follow each other in their queue's log")
                var placed = Array(payload)
                placed.replaceSubrange(16..<24, with: [UInt8](repeating: 0, count: 8))
                let image = Array(memory[Int(address)..<Int(address) + placed.count])
                #expect(image.prefix(16) == placed.prefix(16) && image.suffix(from: 24) == placed.suffix(from: 24),
                        "header, extras, key and value were copied")
                expectedHead[queue] += KeySteering.placedItemSize(bodyLength: placed.count - 24)
            }
            #expect(try harness.program.readRegister(KeySteering.logHead, index: queue) == UInt64(expectedHead[queue]))
        }
        #expect(harness.nic.nicStatistics.dmaCompleted == UInt64(keys.count))
    }

    /// A harness of the one-queue DMA program whose NIC places into `memory` (no log registered yet).
    private static func oneQueueDMAHarness(placingInto memory: UnsafeMutableRawBufferPointer) throws -> NICTestHarness {
        let harness = try NICTestHarness(KeySteering.program(queueCount: 1, placesSets: true), queueCount: 1)
        harness.nic.hostMemory = memory
        return harness
    }

    @Test("DMA path: a SET that does not fit its log (or before one is registered) goes to the exception queue untouched")
    func spillsWhenFull() throws {
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 64)
        defer { memory.deallocate() }
        let harness = try Self.oneQueueDMAHarness(placingInto: memory)
        let first = try MemcachedUDPFrame.set(Array("a".utf8), value: Array(repeating: 1, count: 100))
        #expect(harness.deliver([first]).isEmpty)
        #expect(harness.nic.exceptionQueue.dequeueCopy()?.bytes == first, "no log registered yet")
        try harness.program.writeRegister(KeySteering.logEnd, index: 0, value: 200)
        let second = try MemcachedUDPFrame.set(Array("b".utf8), value: Array(repeating: 2, count: 100))
        _ = harness.deliver([second, first])
        #expect(harness.drain(queue: 0).count == 1)
        #expect(harness.nic.exceptionQueue.dequeueCopy()?.bytes == first, "the second item would end beyond log_end")
        #expect(harness.nic.nicStatistics.exceptionsByReason[Int(KeySteering.logFullReason)] == 2)
    }

    @Test("DMA path: a truncated SET (body_length beyond the frame's end) is not placed: log_head stays, it goes to the exception queue")
    func truncatedSetIsNotPlaced() throws {
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 64)
        defer { memory.deallocate() }
        let harness = try Self.oneQueueDMAHarness(placingInto: memory)
        try harness.program.writeRegister(KeySteering.logEnd, index: 0, value: 4096)
        var truncated = try MemcachedUDPFrame.set(Array("a".utf8), value: Array(repeating: 1, count: 100))
        let bodyLengthLowByte = 14 + 20 + 8 + 8 + 11
        truncated[bodyLengthLowByte] &+= 16  // claims 16 bytes more than the frame carries
        #expect(harness.deliver([truncated]).isEmpty)
        #expect(harness.drain(queue: 0).isEmpty, "nothing delivered with a CAS pointing at unwritten memory")
        #expect(harness.nic.exceptionQueue.dequeueCopy()?.bytes == truncated)
        #expect(try harness.program.readRegister(KeySteering.logHead, index: 0) == 0, "log_head did not advance")
        #expect(harness.nic.nicStatistics.dmaRejected == 0 && harness.nic.nicStatistics.dmaCompleted == 0)
    }
}
