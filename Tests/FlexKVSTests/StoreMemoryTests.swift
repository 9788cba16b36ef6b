import Testing
@testable import FlexKVS

@Suite("FlexKVS store memory: segments, eviction, compaction, partitions")
struct StoreMemoryTests {
    @Test("writing far beyond the memory limit evicts the oldest items and keeps the newest intact")
    func evictionUnderLimit() throws {
        let store = KeyValueStore(configuration: StoreConfiguration(memoryLimit: 4 << 20))
        let count = 12_000
        for key in 0..<count { _ = store.set("key\(key)", distinctValue(key, length: 1000)) }
        let counters = store.counters
        #expect(counters.evictions > 0)
        // What is live fits in the limit (each item takes 1,040 bytes of a segment here).
        #expect(counters.currentItems * 1040 <= UInt64(4 << 20))
        #expect(store.get("key0") == nil)
        for key in (count - 500)..<count { #expect(store.get("key\(key)")?.value == distinctValue(key, length: 1000)) }
        // Every item still reported is intact.
        var live = 0
        for key in 0..<count {
            guard let item = store.get("key\(key)") else { continue }
            live += 1
            #expect(item.value == distinctValue(key, length: 1000))
        }
        #expect(UInt64(live) == store.counters.currentItems)
    }

    @Test("compaction reclaims dead bytes and keeps every live item intact")
    func compactionKeepsLiveItems() throws {
        let store = KeyValueStore(configuration: StoreConfiguration(memoryLimit: 4 << 20))
        // Fill the memory, then overwrite all but every tenth key: old segments become mostly dead.
        let keys = 3500
        for key in 0..<keys { _ = store.set("key\(key)", distinctValue(key, length: 1000)) }
        for round in 1...3 {
            for key in 0..<keys where key % 10 != 0 { _ = store.set("key\(key)", distinctValue(key, version: round, length: 1000)) }
        }
        let counters = store.counters
        #expect(counters.compactions > 0)
        for key in stride(from: 0, to: keys, by: 10) {
            if let item = store.get("key\(key)") { #expect(item.value == distinctValue(key, length: 1000)) }
        }
        let keptOriginals = stride(from: 0, to: keys, by: 10).filter { store.get("key\($0)") != nil }.count
        // Compaction, not eviction, handled the dead bytes: the sparse live keys survived.
        #expect(keptOriginals > keys / 10 / 2)
        for key in (keys - 100)..<keys where key % 10 != 0 {
            #expect(store.get("key\(key)")?.value == distinctValue(key, version: 3, length: 1000))
        }
    }

    @Test("expired items are dropped by compaction instead of being moved")
    func compactionDropsExpired() {
        let clock = ExpiryClock()
        let store = KeyValueStore(configuration: StoreConfiguration(memoryLimit: 4 << 20), clock: clock)
        for key in 0..<3000 { _ = store.set("short\(key)", distinctValue(key, length: 1000), expiry: clock.expiry(fromProtocol: 5)) }
        clock.advance(seconds: 6)
        for key in 0..<3000 { _ = store.set("long\(key)", distinctValue(key, length: 1000)) }
        let counters = store.counters
        #expect(counters.reclaimed > 0)
        #expect(counters.evictions == 0)
        for key in 0..<3000 { #expect(store.get("long\(key)")?.value == distinctValue(key, length: 1000)) }
    }

    @Test("partitions under concurrent writers: every thread reads back what it wrote")
    func concurrentPartitions() async {
        let store = KeyValueStore(configuration: StoreConfiguration(memoryLimit: 64 << 20, partitions: 4))
        await withTaskGroup(of: Int.self) { group in
            for thread in 0..<4 {
                group.addTask {
                    var wrong = 0
                    for key in 0..<2000 {
                        let name = "t\(thread)-\(key)"
                        _ = store.set(name, distinctValue(key, version: thread, length: 64))
                        if store.get(name)?.value != distinctValue(key, version: thread, length: 64) { wrong += 1 }
                    }
                    return wrong
                }
            }
            for await wrong in group { #expect(wrong == 0) }
        }
        #expect(store.counters.currentItems == 8000)
    }

    @Test("a partition with no segment of its own takes one from another when memory is full")
    func stealingAcrossPartitions() {
        let store = KeyValueStore(configuration: StoreConfiguration(memoryLimit: 8 << 20, partitions: 2))
        // Fill memory through keys of partition 0 only (hash bit 40 clear), then write to partition 1.
        for key in 0..<20_000 { _ = store.set("a\(key)", distinctValue(key, length: 1000), hash: UInt64(key) & 0xFFFF) }
        let partitionOne: UInt64 = 1 << 40
        #expect(store.set("b", [1, 2, 3], hash: partitionOne) != .outOfMemory)
        #expect(store.get("b", hash: partitionOne)?.value == [1, 2, 3])
    }
}
