import Testing
@testable import FlexKVS

@Suite("FlexKVS store")
struct KeyValueStoreTests {
    @Test("set, get, flags and a fresh CAS unique for every store")
    func setAndGet() throws {
        let store = KeyValueStore()
        #expect(store.get("missing") == nil)
        guard case .stored(let firstCAS) = store.set("k", "hello", flags: 0xDEAD_BEEF) else { Issue.record("not stored"); return }
        let item = try #require(store.get("k"))
        #expect(item.value == Array("hello".utf8))
        #expect(item.flags == 0xDEAD_BEEF)
        #expect(item.cas == firstCAS)
        guard case .stored(let secondCAS) = store.set("k", "world") else { Issue.record("not stored"); return }
        #expect(secondCAS != firstCAS)
        #expect(store.string("k") == "world")
        #expect(store.counters.currentItems == 1)
        #expect(store.counters.totalItems == 2)
    }

    @Test("add, replace, append and prepend follow memcached's conditions; append keeps flags")
    func conditionalModes() {
        let store = KeyValueStore()
        #expect(store.set("k", "a", mode: .replace) == .notStored)
        #expect(store.set("k", "a", mode: .append) == .notStored)
        #expect(store.set("k", "b", flags: 5, mode: .add) != .notStored)
        #expect(store.set("k", "c", mode: .add) == .notStored)
        #expect(store.set("k", "x", flags: 9, mode: .append) != .notStored)
        #expect(store.set("k", "y", mode: .prepend) != .notStored)
        #expect(store.string("k") == "ybx")
        #expect(store.get("k")?.flags == 5)
        #expect(store.set("k", "z", mode: .replace) != .notStored)
        #expect(store.string("k") == "z")
    }

    @Test("compare-and-swap: stored with the current unique, EXISTS with another, NOT_FOUND without an item")
    func compareAndSwap() throws {
        let store = KeyValueStore()
        #expect(store.set("k", "v", mode: .compareAndSwap(1)) == .notFound)
        _ = store.set("k", "v")
        let cas = try #require(store.get("k")).cas
        #expect(store.set("k", "w", mode: .compareAndSwap(cas &+ 1)) == .exists)
        guard case .stored(let newCAS) = store.set("k", "w", mode: .compareAndSwap(cas)) else { Issue.record("not stored"); return }
        #expect(store.set("k", "again", mode: .compareAndSwap(cas)) == .exists)
        #expect(store.delete("k", expectedCAS: cas) == .exists)
        #expect(store.delete("k", expectedCAS: newCAS) == .deleted)
        #expect(store.counters.casHits == 1 && store.counters.casBadValue == 2 && store.counters.casMisses == 1)
    }

    @Test("expiry: relative times run out, negative and past absolute times expire at once, touch extends")
    func expiry() {
        let clock = ExpiryClock()
        let store = KeyValueStore(clock: clock)
        _ = store.set("relative", "v", expiry: clock.expiry(fromProtocol: 10))
        _ = store.set("negative", "v", expiry: clock.expiry(fromProtocol: -1))
        _ = store.set("past", "v", expiry: clock.expiry(fromProtocol: clock.processStarted - 100))
        _ = store.set("absolute", "v", expiry: clock.expiry(fromProtocol: clock.unixTime + 20))
        _ = store.set("touched", "v", expiry: clock.expiry(fromProtocol: 10))
        #expect(store.get("negative") == nil)
        #expect(store.get("past") == nil)
        #expect(store.string("relative") == "v")
        #expect(store.touch("touched", expiry: clock.expiry(fromProtocol: 100)))
        clock.advance(seconds: 11)
        #expect(store.get("relative") == nil)
        #expect(store.string("absolute") == "v")
        #expect(store.string("touched") == "v")
        clock.advance(seconds: 10)
        #expect(store.get("absolute") == nil)
        #expect(store.counters.currentItems == 1)
    }

    @Test("flush_all drops everything now, or at its delay")
    func flush() {
        let clock = ExpiryClock()
        let store = KeyValueStore(clock: clock)
        _ = store.set("a", "1")
        store.flush()
        #expect(store.get("a") == nil)
        _ = store.set("b", "2")
        store.flush(at: clock.expiry(fromProtocol: 5))
        #expect(store.string("b") == "2")
        clock.advance(seconds: 6)
        #expect(store.get("b") == nil)
        _ = store.set("c", "3")
        #expect(store.string("c") == "3")
    }

    @Test("incr wraps at 2^64, decr stops at 0; shorter results are padded in place, longer ones grow")
    func arithmetic() {
        let store = KeyValueStore()
        #expect(store.change("n", by: 1) == .notFound)
        _ = store.set("n", "18446744073709551615")
        guard case .updated(2, _) = store.change("n", by: 3) else { Issue.record("no wrap"); return }
        #expect(store.string("n") == "2                   ")
        _ = store.set("n", "100")
        _ = store.change("n", by: 1, increment: false)
        #expect(store.string("n") == "99 ")
        _ = store.change("n", by: 1000, increment: false)
        #expect(store.string("n") == "0  ")
        _ = store.set("n", "9")
        guard case .updated(10, _) = store.change("n", by: 1) else { Issue.record("no growth"); return }
        #expect(store.string("n") == "10")
        _ = store.set("text", "12abc")
        #expect(store.change("text", by: 1) == .nonNumeric)
        _ = store.set("empty", "")
        #expect(store.change("empty", by: 1) == .nonNumeric)
        _ = store.set("huge", "99999999999999999999999")
        #expect(store.change("huge", by: 1) == .nonNumeric)
        guard case .updated(7, _) = store.change("fresh", by: 1, initial: (7, 0)) else { Issue.record("no initial"); return }
        #expect(store.string("fresh") == "7")
    }

    @Test("values beyond the item size limit are refused with memcached's accounting")
    func itemSizeLimit() {
        let store = KeyValueStore()
        let limit = (1 << 20) - StoreConfiguration.memcachedItemOverhead - 3
        #expect(store.set("big", [UInt8](repeating: 1, count: limit)) != .tooLarge)
        #expect(store.set("big", [UInt8](repeating: 1, count: limit + 1)) == .tooLarge)
        #expect(store.get("big")?.value.count == limit)
    }

    @Test("keys sharing one hash chain overflow buckets and stay retrievable, deletable and reusable")
    func overflowChains() {
        let store = KeyValueStore()
        let hash: UInt64 = 0x1234_5678_9ABC_DEF0
        for index in 0..<40 { _ = store.set("key\(index)", Array("v\(index)".utf8), hash: hash) }
        for index in 0..<40 { #expect(store.get("key\(index)", hash: hash)?.value == Array("v\(index)".utf8)) }
        for index in stride(from: 0, to: 40, by: 2) { #expect(store.delete("key\(index)", hash: hash) == .deleted) }
        for index in 0..<40 {
            let found = store.get("key\(index)", hash: hash)
            #expect((found == nil) == (index % 2 == 0))
        }
        for index in 40..<60 { _ = store.set("key\(index)", Array("v\(index)".utf8), hash: hash) }
        #expect(store.get("key59", hash: hash)?.value == Array("v59".utf8))
        #expect(store.counters.currentItems == 40)
    }
}
