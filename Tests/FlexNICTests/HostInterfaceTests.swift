import FlexNIC
import FlexPort
import FlexWire
import Testing

@Suite("FlexNIC host interface: descriptor rings and doorbells in shared memory, QM-driven transmit")
struct HostInterfaceTests {
    /// Frames that differ in their UDP source port, so order and identity show on the wire.
    private static func frames(_ count: Int, firstPort: UInt16 = 1_000) throws -> [[UInt8]] {
        try (0..<count).map { try NICTestFrames.udp(ports: (firstPort + UInt16($0), 9), payload: Array(repeating: UInt8($0), count: 20)) }
    }

    /// Copies `frame` into `ring` (as the host does); true when the ring took it.
    private static func post(_ frame: [UInt8], to ring: DescriptorRing, descriptor: UInt32 = 0) -> Bool {
        frame.withUnsafeBytes { ring.enqueue($0.baseAddress!, length: $0.count, descriptor: descriptor) }
    }

    @Test("a ring wraps around its slots and its free-running 32-bit indices without losing or reordering entries")
    func ringWrapsAround() throws {
        let region = SharedMemoryRegion(size: DescriptorRing.byteCount(capacity: 4, slotSize: 128))
        let ring = try #require(DescriptorRing(in: region, capacity: 4, slotSize: 128))
        // The indices live in the shared region: start them just below 2^32 so they wrap during the test.
        let start = UInt32.max - 5
        (region.base + ring.offset).storeBytes(of: start.littleEndian, as: UInt32.self)
        (region.base + ring.offset + 64).storeBytes(of: start.littleEndian, as: UInt32.self)
        var next: UInt8 = 0, expected: UInt8 = 0
        for round in 0..<7 {
            for _ in 0..<(round % 4 + 1) {
                #expect(Self.post([next, next &+ 1], to: ring, descriptor: UInt32(next)))
                next &+= 1
            }
            while let entry = ring.dequeueCopy() {
                #expect(entry.bytes == [expected, expected &+ 1])
                #expect(entry.descriptor == UInt32(expected))
                expected &+= 1
            }
        }
        #expect(expected == next && next == 16)
        #expect(ring.consumerIndex == start &+ 16 && ring.producerIndex == start &+ 16, "both indices wrapped past 2^32")
        for value in 0..<4 { #expect(Self.post([UInt8(value)], to: ring)) }
        #expect(!Self.post([9], to: ring), "a full ring refuses")
        #expect(ring.count == 4 && ring.freeCount == 0)
        #expect((0..<4).map { _ in ring.dequeueCopy()?.bytes } == [[0], [1], [2], [3]], "the refused entry overwrote nothing")
    }

    @Test("received frames land in a posted receive buffer in shared memory, completed with the NIC-computed hash in their descriptors (hash relay)")
    func receiveRingRelaysHash() throws {
        let relay = Program("relay", stages: [
            StageDeclaration("flow_hash", when: StageCondition("tcp.valid", .equal, 1), .action(ActionDeclaration("hash", [
                .hashFields(.toeplitz, Metadata.descriptor, fields: HashRelay.tcpFourTuple), .setQueue(0),
            ]))),
        ])
        let harness = try NICTestHarness(relay, queueCount: 1)
        // Microsoft RSS verification suite: 66.9.149.187:2794 → 161.142.100.80:1766 hashes to 0x51ccc178.
        let frame = try NICTestFrames.tcp(from: IPv4Address(66, 9, 149, 187), to: IPv4Address(161, 142, 100, 80), ports: (2794, 1766))
        #expect(harness.deliver([frame]).isEmpty)
        let queue = harness.nic.hostInterface.receiveRings[0]
        #expect(queue === harness.nic.queues[0])
        // Read it as software would: the raw completion and the buffer it names in the shared region.
        let start = queue.region.base + queue.completions.offset
        #expect(UInt32(littleEndian: start.load(as: UInt32.self)) == 1, "producer index")
        #expect(UInt32(littleEndian: (start + 64).load(as: UInt32.self)) == 0, "consumer index")
        let descriptor = start + 128
        #expect(Int(UInt32(littleEndian: descriptor.loadUnaligned(as: UInt32.self))) == frame.count)
        #expect(UInt32(littleEndian: descriptor.loadUnaligned(fromByteOffset: 4, as: UInt32.self)) == 0x51cc_c178)
        let address = Int(UInt32(littleEndian: descriptor.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        #expect(harness.nic.hostInterface.receiveBufferArea.contains(address))
        let buffer = UnsafeRawBufferPointer(start: queue.region.base + address, count: frame.count)
        #expect(Array(buffer) == frame)
        #expect(queue.dequeueCopy()?.descriptor == 0x51cc_c178)
        #expect(UInt32(littleEndian: (start + 64).load(as: UInt32.self)) == 1, "the host's consumer index is in shared memory")
    }

    @Test("a doorbell hands posted descriptors to the NIC: doorbell pipeline, QM tokens, descriptor fetch, wire")
    func doorbellTransmitsEndToEnd() throws {
        let wire = try MemoryWire()
        let nic = NICPort(wrapping: wire.a, receiveProgram: nil, queueCount: 0, transmitQueueCount: 2, transmitQueueCapacity: 8)
        let rings = nic.hostInterface.transmitRings
        let first = try Self.frames(3, firstPort: 1_000), second = try Self.frames(3, firstPort: 2_000)
        for frame in first { #expect(Self.post(frame, to: rings[0])) }
        for frame in second { #expect(Self.post(frame, to: rings[1])) }
        #expect(nic.serviceTransmitRings(at: 0) == 0, "nothing leaves before a doorbell")
        #expect(nic.ringDoorbell(transmitQueue: 0, tail: rings[0].producerIndex))
        #expect(nic.ringDoorbell(transmitQueue: 1, tail: rings[1].producerIndex))
        #expect(nic.hostInterface.queueManager.level(0) == 0, "tokens come from the doorbell pipeline, not the ring")
        #expect(nic.serviceTransmitRings(at: 0) == 6)
        // Unlimited buckets drain round robin: the rings take turns on the wire.
        #expect(wire.b.receiveCopies() == [first[0], second[0], first[1], second[1], first[2], second[2]])
        #expect(rings.allSatisfy { $0.isEmpty && $0.consumerIndex == 3 }, "the NIC's consumer index tells the host the slots are free")
        #expect(nic.hostInterface.statistics.descriptorsTransmitted == 6 && nic.hostInterface.statistics.doorbellsAccepted == 2)
    }

    @Test("back-pressure: a full transmit ring refuses the host, a full doorbell queue refuses and counts doorbells, a full wire delays tokens; nothing is lost, duplicated or corrupted")
    func backPressure() throws {
        let wire = try MemoryWire(capacity: 4)
        let nic = NICPort(wrapping: wire.a, receiveProgram: nil, queueCount: 0, transmitQueueCount: 1, transmitQueueCapacity: 8,
                          doorbellCapacity: 2)
        let ring = nic.hostInterface.transmitRings[0]
        let frames = try Self.frames(9)
        for frame in frames.prefix(8) { #expect(Self.post(frame, to: ring)) }
        #expect(!Self.post(frames[8], to: ring), "the ring is full")
        // A doorbell per posted batch: the third waits for the doorbell pipeline and is refused.
        #expect(nic.ringDoorbell(transmitQueue: 0, tail: ring.producerIndex &- 4))
        #expect(nic.ringDoorbell(transmitQueue: 0, tail: ring.producerIndex))
        #expect(!nic.ringDoorbell(transmitQueue: 0, tail: ring.producerIndex))
        #expect(nic.hostInterface.statistics.doorbellsRefused == 1)
        #expect(nic.hostInterface.interconnect.doorbellRefusals == 1)
        // The wire holds 4 frames: the other tokens wait in the QM until the far side reads.
        #expect(nic.serviceTransmitRings(at: 0) == 4)
        #expect(nic.hostInterface.queueManager.level(0) == 4)
        #expect(ring.count == 4)
        var received = wire.b.receiveCopies()
        #expect(nic.serviceTransmitRings(at: 1) == 4)
        received += wire.b.receiveCopies()
        #expect(received == Array(frames.prefix(8)))
        #expect(ring.isEmpty && Self.post(frames[8], to: ring), "room again once the NIC consumed")
        #expect(nic.ringDoorbell(transmitQueue: 0, tail: ring.producerIndex))
        #expect(nic.serviceTransmitRings(at: 2) == 1)
        #expect(wire.b.receiveCopies() == [frames[8]])
    }

    /// A NIC on a memory wire with one transmit ring of `capacity` entries holding `count` posted frames (no doorbell yet).
    private static func oneRing(capacity: Int, posted count: Int) throws -> (wire: MemoryWire, nic: NICPort, ring: DescriptorRing, frames: [[UInt8]]) {
        let wire = try MemoryWire()
        let nic = NICPort(wrapping: wire.a, receiveProgram: nil, queueCount: 0, transmitQueueCount: 1, transmitQueueCapacity: capacity)
        let ring = nic.hostInterface.transmitRings[0]
        let frames = try frames(count)
        for frame in frames { #expect(post(frame, to: ring)) }
        return (wire, nic, ring, frames)
    }

    @Test("invalid doorbells (tail behind the last one, beyond the ring, no such ring) are counted and never acted on")
    func invalidDoorbells() throws {
        let (wire, nic, _, frames) = try Self.oneRing(capacity: 4, posted: 2)
        #expect(nic.ringDoorbell(transmitQueue: 0, tail: 2))
        #expect(nic.ringDoorbell(transmitQueue: 0, tail: 1), "admitted; the doorbell pipeline judges it")
        #expect(nic.ringDoorbell(transmitQueue: 0, tail: 2 + 4))
        #expect(!nic.ringDoorbell(transmitQueue: 1, tail: 1))
        #expect(nic.serviceTransmitRings(at: 0) == 2)
        #expect(nic.hostInterface.statistics.doorbellsInvalid == 3)
        #expect(nic.hostInterface.statistics.doorbellsAccepted == 1)
        #expect(wire.b.receiveCopies() == frames)
        #expect(nic.serviceTransmitRings(at: 1) == 0)
    }

    @Test("a rate-limited transmit ring sends at its rate; the transmit program still filters ring traffic")
    func rateLimitAndTransmitProgram() throws {
        let wire = try MemoryWire()
        let transmit = try Pipeline(program: Multiplexing.transmitBySourcePort())
        try transmit.insertEntry(table: "senders", key: [1_000], action: "send")
        try transmit.insertEntry(table: "senders", key: [1_002], action: "send")
        let nic = NICPort(wrapping: wire.a, receiveProgram: nil, transmitProgram: transmit, queueCount: 0, transmitQueueCount: 1,
                          transmitRate: 1_000)
        let ring = nic.hostInterface.transmitRings[0]
        let frames = try Self.frames(3)
        for frame in frames { #expect(Self.post(frame, to: ring)) }
        #expect(nic.ringDoorbell(transmitQueue: 0, tail: ring.producerIndex))
        #expect(nic.serviceTransmitRings(at: 0) == 0, "no credit yet")
        #expect(nic.serviceTransmitRings(at: 1_000_000) == 1, "one descriptor per millisecond")
        #expect(nic.serviceTransmitRings(at: 1_500_000) == 0)
        _ = nic.serviceTransmitRings(at: 2_000_000)
        _ = nic.serviceTransmitRings(at: 3_000_000)
        #expect(wire.b.receiveCopies() == [frames[0], frames[2]], "the transmit program withheld port 1001")
        #expect(nic.nicStatistics.transmitWithheld == 1)
        #expect(ring.isEmpty)
    }

    @Test("a zero-length or runt descriptor is consumed and counted as malformed; it stops no transmit ring")
    func malformedDescriptorStopsNoRing() throws {
        let wire = try MemoryWire()
        let nic = NICPort(wrapping: wire.a, receiveProgram: nil, queueCount: 0, transmitQueueCount: 2, transmitQueueCapacity: 8)
        let rings = nic.hostInterface.transmitRings
        let frames = try Self.frames(2, firstPort: 2_000)
        #expect(Self.post([], to: rings[0]))
        #expect(Self.post(Array(repeating: 1, count: 13), to: rings[0]))
        for frame in frames { #expect(Self.post(frame, to: rings[1])) }
        #expect(nic.ringDoorbell(transmitQueue: 0, tail: rings[0].producerIndex))
        #expect(nic.ringDoorbell(transmitQueue: 1, tail: rings[1].producerIndex))
        #expect(nic.serviceTransmitRings(at: 0) == 2)
        #expect(wire.b.receiveCopies() == frames, "ring 1's frames go out")
        #expect(rings.allSatisfy { $0.isEmpty }, "ring 0's descriptors were consumed")
        #expect(nic.hostInterface.statistics.malformedDrops == 2)
        #expect(nic.hostInterface.statistics.descriptorsTransmitted == 2)
        #expect(nic.hostInterface.queueManager.level(0) == 0 && nic.hostInterface.queueManager.level(1) == 0)
    }

    @Test("the NIC fetches up to the doorbell's tail, not the producer index in memory: a host that stores it after ringing loses nothing")
    func fetchFollowsTheDoorbell() throws {
        let (wire, nic, ring, frames) = try Self.oneRing(capacity: 8, posted: 3)
        // The descriptors are written but the producer word still reads 0 when the doorbell announces tail 3.
        let producerWord = ring.region.base + ring.offset
        producerWord.storeBytes(of: UInt32(0).littleEndian, as: UInt32.self)
        #expect(nic.ringDoorbell(transmitQueue: 0, tail: 3))
        #expect(nic.serviceTransmitRings(at: 0) == 3)
        #expect(wire.b.receiveCopies() == frames)
        #expect(ring.consumerIndex == 3)
        #expect(nic.hostInterface.statistics.descriptorsTransmitted == 3 && nic.hostInterface.statistics.descriptorsMissing == 0)
        producerWord.storeBytes(of: UInt32(3).littleEndian, as: UInt32.self)
        #expect(ring.isEmpty, "once the host stores its producer index the ring reads empty")
        #expect(nic.serviceTransmitRings(at: 1) == 0)
    }
}
