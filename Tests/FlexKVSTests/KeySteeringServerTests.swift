import FlexNIC
import FlexPort
import FlexWire
import Testing
@testable import FlexKVS

/// FlexKVS behind a FlexNIC key-steering program: a store of four partitions, the NIC on one end of
/// an in-memory wire with a queue per partition and the store's item memory as its DMA target.
private final class SteeredStore {
    let store = KeyValueStore(configuration: StoreConfiguration(memoryLimit: 16 << 20, partitions: 4))
    let wire: MemoryWire
    let program: Pipeline
    let nic: NICPort
    let servers: [KeySteeredServer]
    private let batch = FrameBatch(capacity: 64)

    init(placesSets: Bool) throws {
        wire = try MemoryWire()
        let queues = store.partitionCount
        program = try Pipeline(program: KeySteering.program(queueCount: queues, placesSets: placesSets), queueCount: queues)
        nic = NICPort(wrapping: wire.b, receiveProgram: program, queueCount: queues, queueCapacity: 512, hostMemory: store.itemMemory)
        let server = CacheServer(store: store, settings: ServerSettings(tcpPort: 11211))
        servers = (0..<queues).map { _ in KeySteeredServer(server: server, placesSets: placesSets) }
        if placesSets {
            for partition in 0..<queues { try register(partition) }
        }
    }

    /// Gives `partition` a fresh placement segment and points the NIC's log registers at it.
    func register(_ partition: Int) throws {
        let segment = try #require(store.registerPlacementSegment(partition: partition))
        try program.writeRegister(KeySteering.logHead, index: partition, value: UInt64(segment.lowerBound))
        try program.writeRegister(KeySteering.logEnd, index: partition, value: UInt64(segment.upperBound))
    }

    /// Sends `frames` through the NIC; returns what it passed to the host unsteered.
    func send(_ frames: [[UInt8]]) -> Int {
        for frame in frames { precondition(wire.a.transmit(frame), "the wire took the frame") }
        var passed = 0
        // The in-memory wire delivers at once: one receive per batch of frames, and one more.
        for _ in 0...(frames.count / batch.capacity + 1) {
            passed += nic.receive(into: batch)
            nic.releaseReceived(batch)
        }
        return passed
    }

    /// Serves every queue entry on its partition's server; returns the replies (UDP payloads) with the queue each came from.
    func serveQueues() -> [(queue: Int, reply: [UInt8], descriptor: UInt32)] {
        var replies: [(queue: Int, reply: [UInt8], descriptor: UInt32)] = []
        for (queue, softwareQueue) in nic.queues.enumerated() {
            while let entry = softwareQueue.front {
                if let datagram = KeySteeredServer.udpPayload(ofFrame: entry.bytes) {
                    servers[queue].answer(datagram, relayedHash: entry.descriptor) { replies.append((queue, Array($0), entry.descriptor)) }
                }
                softwareQueue.removeFront()
            }
        }
        return replies
    }
}

@Suite("FlexKVS with FlexNIC key-based steering")
struct KeySteeringServerTests {
    static func key(_ index: Int) -> [UInt8] { Array("key:\(String(repeating: "0", count: 20))\(index)".utf8) }
    static func value(_ index: Int) -> [UInt8] { Array("value-\(index)-".utf8) + [UInt8](repeating: UInt8(index & 0x7F), count: 48) }

    /// The binary reply's status and value (after the 4 bytes of flags) from a UDP reply payload.
    static func status(_ reply: [UInt8]) -> UInt16 { UInt16(reply[8 + 6]) << 8 | UInt16(reply[8 + 7]) }
    static func value(ofGetReply reply: [UInt8]) -> [UInt8] { Array(reply[(8 + 24 + 4)...]) }

    /// Sends steered GETs of keys 0..<count; each must succeed with `value(index + valueShift)`.
    private func expectSteeredGets(_ harness: SteeredStore, count: Int, valueShift: Int) throws {
        #expect(harness.send(try (0..<count).map { try MemcachedUDPFrame.get(Self.key($0), requestID: UInt16($0)) }) == 0)
        let replies = harness.serveQueues()
        #expect(replies.count == count)
        for (_, reply, _) in replies {
            let index = Int(UInt16(reply[0]) << 8 | UInt16(reply[1]))
            #expect(Self.status(reply) == 0 && Self.value(ofGetReply: reply) == Self.value(index + valueShift))
        }
    }

    @Test("each request lands on the queue of the partition owning its key, with the hash FlexKVS computes")
    func steersToOwningPartition() throws {
        let harness = try SteeredStore(placesSets: false)
        let keys = (0..<300).map(Self.key)
        #expect(harness.send(try keys.map { try MemcachedUDPFrame.get($0) }) == 0)
        for (queue, softwareQueue) in harness.nic.queues.enumerated() {
            for index in 0..<softwareQueue.count {
                _ = index
                let entry = try #require(softwareQueue.front)
                let datagram = try #require(KeySteeredServer.udpPayload(ofFrame: entry.bytes))
                let key = Array(datagram[(8 + 24)...])
                let hash = KeyHash.hash(key)
                #expect(KeyHash.widening(entry.descriptor) == hash, "the relayed hash is FlexKVS's")
                #expect(harness.store.partition(for: hash) === harness.store.partitions[queue], "the queue is the owning partition's")
                softwareQueue.removeFront()
            }
        }
        #expect(harness.nic.nicStatistics.delivered.reduce(0, +) == UInt64(keys.count))
    }

    @Test("steered SETs then GETs: every GET returns the value set, with the relayed hash")
    func setThenGetWithoutPlacement() throws {
        let harness = try SteeredStore(placesSets: false)
        let count = 200
        #expect(harness.send(try (0..<count).map { try MemcachedUDPFrame.set(Self.key($0), value: Self.value($0)) }) == 0)
        let stored = harness.serveQueues()
        #expect(stored.count == count && stored.allSatisfy { Self.status($0.reply) == 0 })
        try expectSteeredGets(harness, count: count, valueShift: 0)
    }

    @Test("DMA path: SETs the NIC placed in the partitions' logs are adopted in place and readable by steered and plain GETs")
    func placedSetsAreReadable() throws {
        let harness = try SteeredStore(placesSets: true)
        let count = 200
        // Twice: the second round replaces every item (the first round's bytes become freed).
        for round in 0..<2 {
            #expect(harness.send(try (0..<count).map { try MemcachedUDPFrame.set(Self.key($0), value: Self.value($0 + round), flags: 7) }) == 0)
            #expect(harness.nic.nicStatistics.dmaCompleted == UInt64((round + 1) * count))
            let stored = harness.serveQueues()
            #expect(stored.count == count && stored.allSatisfy { Self.status($0.reply) == 0 })
        }
        try expectSteeredGets(harness, count: count, valueShift: 1)
        let item = try #require(harness.store.get(String(decoding: Self.key(5), as: UTF8.self)))
        #expect(item.value == Self.value(6) && item.flags == 7, "a plain (unsteered) read finds the placed item")
        #expect(harness.store.counters.currentItems == UInt64(count))
    }

    @Test("DMA path: a placed SET whose queue entry was lost leaves a dead gap; the next one is adopted; a new segment continues the log")
    func lostEntryBecomesGap() throws {
        let harness = try SteeredStore(placesSets: true)
        // Three keys of partition 0.
        let keys = (0..<2000).map(Self.key).filter { harness.store.partition(for: KeyHash.hash($0)) === harness.store.partitions[0] }.prefix(3)
        #expect(harness.send(try keys.map { try MemcachedUDPFrame.set($0, value: Array("v".utf8)) }) == 0)
        let queue = harness.nic.queues[0]
        try #require(queue.count == 3)
        queue.removeFront()  // lost
        let replies = harness.serveQueues()
        #expect(replies.map { Self.status($0.reply) } == [0, 0])
        #expect(harness.store.get(String(decoding: keys[keys.startIndex], as: UTF8.self)) == nil)
        try harness.register(0)
        #expect(harness.send([try MemcachedUDPFrame.set(keys[keys.startIndex], value: Array("w".utf8))]) == 0)
        #expect(harness.serveQueues().map { Self.status($0.reply) } == [0])
        #expect(harness.store.string(String(decoding: keys[keys.startIndex], as: UTF8.self)) == "w")
        #expect(harness.store.string(String(decoding: keys[keys.startIndex + 2], as: UTF8.self)) == "v")
    }

    /// The UDP payload of the memcached request frame `frame`.
    private static func datagram(ofFrame frame: [UInt8]) throws -> [UInt8] {
        try #require(frame.withUnsafeBytes { KeySteeredServer.udpPayload(ofFrame: $0).map(Array.init) })
    }

    /// The UDP payload of a SET of `key` to `value` whose CAS field says it was placed at `offset`.
    private static func placedSetDatagram(_ key: [UInt8], value: [UInt8], offset: Int) throws -> [UInt8] {
        var datagram = try Self.datagram(ofFrame: try MemcachedUDPFrame.set(key, value: value))
        for index in 0..<8 { datagram[8 + 16 + index] = UInt8(truncatingIfNeeded: offset >> (56 - 8 * index)) }
        return datagram
    }

    /// A fresh placement segment of the partition owning `key`, holding a stale placed SET of `staleKey` at its start.
    private static func segmentWithStaleSet(_ harness: SteeredStore, owner key: [UInt8], staleKey: [UInt8]) throws -> (partition: Int, start: Int) {
        let partition = try #require(harness.store.partitions.firstIndex { $0 === harness.store.partition(for: KeyHash.hash(key)) })
        let segment = try #require(harness.store.registerPlacementSegment(partition: partition))
        let stale = Array(try placedSetDatagram(staleKey, value: Array("stale".utf8), offset: 0).dropFirst(8))
        harness.store.itemMemory.baseAddress!.advanced(by: segment.lowerBound).copyMemory(from: stale, byteCount: stale.count)
        return (partition, segment.lowerBound)
    }

    /// Answers `datagram` on `partition`'s server with the relayed CRC32C of `key`; returns the replies.
    private static func answer(_ harness: SteeredStore, _ datagram: [UInt8], partition: Int, relaying key: [UInt8]) -> [[UInt8]] {
        var replies: [[UInt8]] = []
        datagram.withUnsafeBytes { bytes in
            harness.servers[partition].answer(bytes, relayedHash: CRC32C.checksum(key)) { replies.append(Array($0)) }
        }
        return replies
    }

    @Test("DMA path: a truncated SET whose CAS points at stale bytes of another SET is not adopted (no reply, nothing stored)")
    func truncatedSetIsNotAdopted() throws {
        let harness = try SteeredStore(placesSets: true)
        let (key, staleKey) = (Self.key(1), Self.key(2))
        let (partition, start) = try Self.segmentWithStaleSet(harness, owner: key, staleKey: staleKey)
        var datagram = try Self.placedSetDatagram(key, value: Self.value(1), offset: start)
        datagram[8 + 11] &+= 16  // body_length claims 16 bytes more than the datagram carries
        #expect(Self.answer(harness, datagram, partition: partition, relaying: key).isEmpty)
        #expect(harness.store.get(String(decoding: key, as: UTF8.self)) == nil)
        #expect(harness.store.counters.currentItems == 0, "the stale bytes were not adopted")
    }

    @Test("DMA path: a SET whose placed bytes are another request's is served from the datagram as a plain SET")
    func mismatchedPlacementIsServedFromRequest() throws {
        let harness = try SteeredStore(placesSets: true)
        let (key, staleKey) = (Self.key(1), Self.key(2))
        let (partition, start) = try Self.segmentWithStaleSet(harness, owner: key, staleKey: staleKey)
        let replies = Self.answer(harness, try Self.placedSetDatagram(key, value: Self.value(1), offset: start), partition: partition, relaying: key)
        #expect(replies.map(Self.status) == [0])
        #expect(harness.store.get(String(decoding: key, as: UTF8.self))?.value == Self.value(1))
        #expect(harness.store.get(String(decoding: staleKey, as: UTF8.self)) == nil)
        #expect(harness.store.counters.currentItems == 1)
    }

    @Test("the relayed hash serves the datagram's first request only: a GET after a NOOP hashes its own key")
    func relayedHashIsForTheFirstRequestOnly() throws {
        let harness = try SteeredStore(placesSets: false)
        let key = Self.key(3)
        #expect(harness.send([try MemcachedUDPFrame.set(key, value: Self.value(3))]) == 0)
        #expect(harness.serveQueues().map { Self.status($0.reply) } == [0])
        let get = try Self.datagram(ofFrame: try MemcachedUDPFrame.get(key))
        var noop = [UInt8](repeating: 0, count: 24)
        noop[0] = 0x80
        noop[1] = 0x0A
        let datagram = Array(get.prefix(8)) + noop + Array(get.dropFirst(8))
        let partition = try #require(harness.store.partitions.firstIndex { $0 === harness.store.partition(for: KeyHash.hash(key)) })
        let replies = Self.answer(harness, datagram, partition: partition, relaying: Array("not-this-key".utf8))
        let reply = try #require(replies.first)
        #expect(replies.count == 1 && reply.count == 8 + 24 + 24 + 4 + Self.value(3).count)
        #expect(UInt16(reply[8 + 24 + 6]) << 8 | UInt16(reply[8 + 24 + 7]) == 0, "the GET after the NOOP found the key")
        #expect(reply.suffix(Self.value(3).count) == Self.value(3)[...])
    }
}
