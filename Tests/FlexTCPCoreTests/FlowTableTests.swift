import FlexPort
@testable import FlexTCPCore
import FlexWire
import Testing

// `FlowTable` is non-copyable, which `#expect` cannot capture: results are bound to locals first.

/// The error `insert` throws, or nil when it succeeds.
private func insertionError(_ table: inout FlowTable, _ flow: FlowIndex, for key: FlowKey) -> FlowTableError? {
    do {
        try table.insert(flow, for: key)
        return nil
    } catch {
        return error
    }
}

/// Distinct keys a peer could choose: one server port, one local address, consecutive peer ports
/// on consecutive peer addresses, like a load generator opening connections.
private func sequentialKeys(count: Int) -> [FlowKey] {
    (0..<count).map { index in
        FlowKey(
            localAddress: IPv4Address(198, 18, 0, 1), localPort: 80,
            remoteAddress: IPv4Address(0xC612_0100 + UInt32(index / 50_000)), remotePort: UInt16(10_000 + index % 50_000))
    }
}

private func randomKey(using random: inout SeededRandom) -> FlowKey {
    FlowKey(
        localAddress: IPv4Address(UInt32.random(in: 0...UInt32.max, using: &random)),
        localPort: UInt16.random(in: 0...UInt16.max, using: &random),
        remoteAddress: IPv4Address(UInt32.random(in: 0...UInt32.max, using: &random)),
        remotePort: UInt16.random(in: 0...UInt16.max, using: &random))
}

private let fixedHasher = FlowKeyHasher(key0: 0x0123_4567_89AB_CDEF, key1: 0xFEDC_BA98_7654_3210)

@Suite struct FlowTableTests {
    @Test func insertLookupAndRemove() {
        var table = FlowTable(capacity: 8)
        let key = FlowKey(localAddress: IPv4Address(198, 18, 0, 1), localPort: 80, remoteAddress: IPv4Address(198, 18, 0, 2), remotePort: 40000)
        let reversed = FlowKey(localAddress: key.remoteAddress, localPort: key.remotePort, remoteAddress: key.localAddress, remotePort: key.localPort)
        let error = insertionError(&table, 7, for: key)
        let found = table.lookup(key)
        let foundReversed = table.lookup(reversed)
        let countAfterInsert = table.count
        let removed = table.remove(key)
        let removedAgain = table.remove(key)
        let foundAfterRemove = table.lookup(key)
        let countAfterRemove = table.count
        #expect(error == nil)
        #expect(found == 7)
        #expect(foundReversed == nil)
        #expect(countAfterInsert == 1)
        #expect(removed == 7)
        #expect(removedAgain == nil)
        #expect(foundAfterRemove == nil)
        #expect(countAfterRemove == 0)
    }

    @Test func duplicateKeysAreRejected() {
        var table = FlowTable(capacity: 8)
        let key = FlowKey(localAddress: IPv4Address(198, 18, 0, 1), localPort: 80, remoteAddress: IPv4Address(198, 18, 0, 2), remotePort: 40000)
        let first = insertionError(&table, 1, for: key)
        let second = insertionError(&table, 2, for: key)
        let found = table.lookup(key)
        let count = table.count
        #expect(first == nil)
        #expect(second == .duplicateKey)
        #expect(found == 1)
        #expect(count == 1)
    }

    @Test func theReservedFlowIndexIsRejected() {
        var table = FlowTable(capacity: 8)
        let key = sequentialKeys(count: 1)[0]
        let error = insertionError(&table, FlowIndex.max, for: key)
        let count = table.count
        #expect(error == .reservedFlowIndex)
        #expect(count == 0)
    }

    @Test func aFullTableRefusesCleanly() {
        var table = FlowTable(capacity: 100)
        let keys = sequentialKeys(count: 101)
        var errors: [FlowTableError?] = []
        for (index, key) in keys.enumerated() { errors.append(insertionError(&table, FlowIndex(index), for: key)) }
        let lookups = keys.map { table.lookup($0) }
        let count = table.count
        #expect(errors.dropLast().allSatisfy { $0 == nil })
        #expect(errors.last == .tableFull)
        #expect(lookups == (0..<100).map { FlowIndex($0) } + [nil])
        #expect(count == 100)

        table.remove(keys[3])
        let retry = insertionError(&table, 100, for: keys[100])
        let found = table.lookup(keys[100])
        #expect(retry == nil)
        #expect(found == 100)
    }

    @Test func churnAgreesWithADictionary() {
        let capacity = 4096
        var random = SeededRandom(seed: 0xF10_7AB1E)
        var table = FlowTable(capacity: capacity)
        var model: [FlowKey: FlowIndex] = [:]
        let pool = (0..<2 * capacity).map { _ in randomKey(using: &random) }
        var mismatches = 0
        for step in 0..<1_000_000 {
            let key = pool[Int.random(in: 0..<pool.count, using: &random)]
            if let expected = model.removeValue(forKey: key) {
                if table.remove(key) != expected { mismatches += 1 }
            } else {
                let flow = FlowIndex(step)
                let error = insertionError(&table, flow, for: key)
                if model.count < capacity {
                    if error != nil { mismatches += 1 }
                    model[key] = flow
                } else if error != .tableFull {
                    mismatches += 1
                }
            }
            let probe = pool[Int.random(in: 0..<pool.count, using: &random)]
            if table.lookup(probe) != model[probe] { mismatches += 1 }
        }
        let finalMismatches = pool.filter { table.lookup($0) != model[$0] }.count
        let count = table.count
        let displacements = model.keys.map { table.displacement(of: $0) ?? .max }
        let longest = table.longestDisplacement
        #expect(mismatches == 0)
        #expect(finalMismatches == 0)
        #expect(count == model.count)
        // No tombstones: probes stay as short as in a fresh table.
        #expect(Double(displacements.reduce(0, +)) / Double(displacements.count) < 1)
        #expect(longest < FlowTable.probeLimit / 2)
    }

    @Test func sequentialKeysStayFarWithinTheProbeLimit() {
        let keys = sequentialKeys(count: 100_000)
        var table = FlowTable(capacity: keys.count)
        let errors = keys.enumerated().compactMap { insertionError(&table, FlowIndex($0.offset), for: $0.element) }
        let displacements = keys.map { table.displacement(of: $0) ?? .max }
        let longest = table.longestDisplacement
        #expect(errors.isEmpty)
        #expect(displacements.max()! == longest)
        #expect(longest < FlowTable.probeLimit / 2)
        #expect(Double(displacements.reduce(0, +)) / Double(keys.count) < 1)
    }

    /// Keys that collide on purpose (found by brute force with a known hasher key) reach the probe
    /// limit: the insert that would exceed it is refused, the table stays intact, and the longest
    /// lookup reads exactly `probeLimit` slots.
    @Test func aKeyBeyondTheProbeLimitIsRefusedCleanly() {
        var table = FlowTable(capacity: 512, hasher: fixedHasher)
        let colliding = keys(homedAt: 5, count: FlowTable.probeLimit + 1, in: table)
        var errors: [FlowTableError?] = []
        for (index, key) in colliding.enumerated() { errors.append(insertionError(&table, FlowIndex(index), for: key)) }
        let lookups = colliding.map { table.lookup($0) }
        let lastDisplacement = table.displacement(of: colliding[FlowTable.probeLimit - 1])
        let count = table.count
        #expect(errors == Array(repeating: nil, count: FlowTable.probeLimit) + [.probeLimitReached])
        #expect(lookups == (0..<FlowTable.probeLimit).map { FlowIndex($0) } + [nil])
        #expect(lastDisplacement == FlowTable.probeLimit - 1)
        #expect(count == FlowTable.probeLimit)
    }

    /// Robin Hood placement puts a key before entries homed further on, moving them; a move that
    /// would carry one of them past the probe limit is refused too.
    @Test func anInsertThatWouldPushAnotherEntryBeyondTheLimitIsRefused() {
        var table = FlowTable(capacity: 512, hasher: fixedHasher)
        let homedAtZero = keys(homedAt: 0, count: 2, in: table)
        let homedAtOne = keys(homedAt: 1, count: FlowTable.probeLimit, in: table)
        let setUp = ([homedAtZero[0]] + homedAtOne).enumerated().compactMap { insertionError(&table, FlowIndex($0.offset), for: $0.element) }
        let error = insertionError(&table, 99, for: homedAtZero[1])
        let lookups = ([homedAtZero[0]] + homedAtOne + [homedAtZero[1]]).map { table.lookup($0) }
        #expect(setUp.isEmpty)
        #expect(error == .probeLimitReached)
        #expect(lookups == (0...FlowTable.probeLimit).map { FlowIndex($0) } + [nil])
    }

    @Test func theHashDependsOnTheKeyAndOnEveryBitOfTheTuple() {
        var random = SeededRandom(seed: 0xA5A5)
        let otherHasher = FlowKeyHasher(key0: 0x0123_4567_89AB_CDEF, key1: 0xFEDC_BA98_7654_3211)
        var changedBits = 0
        var samples = 0
        for _ in 0..<200 {
            let key = randomKey(using: &random)
            #expect(fixedHasher.hash(key) != otherHasher.hash(key))
            for bit in 0..<96 {
                var flipped = key
                switch bit {
                case 0..<32: flipped.localAddress.value ^= 1 << UInt32(bit)
                case 32..<64: flipped.remoteAddress.value ^= 1 << UInt32(bit - 32)
                case 64..<80: flipped.localPort ^= 1 << UInt16(bit - 64)
                default: flipped.remotePort ^= 1 << UInt16(bit - 80)
                }
                changedBits += (fixedHasher.hash(key) ^ fixedHasher.hash(flipped)).nonzeroBitCount
                samples += 1
            }
        }
        // An input bit flip changes about half of the 64 output bits on average.
        let average = Double(changedBits) / Double(samples)
        #expect(average > 28 && average < 36)
    }
}

/// The first `count` sequential keys whose home slot in `table` is `slot`.
private func keys(homedAt slot: Int, count: Int, in table: borrowing FlowTable) -> [FlowKey] {
    var found: [FlowKey] = []
    for key in sequentialKeys(count: 200_000) where found.count < count && table.homeSlot(of: key) == slot {
        found.append(key)
    }
    return found
}
