@testable import FlexKVS
import Testing

/// `IdentityTable` (a FlexTCP service's clients by connection) against a model: a seeded mix of
/// inserts and removals, growth past its first capacity, and removals that shift probe runs back.
@Suite struct IdentityTableTests {
    private final class Key {}
    private final class Value {
        let number: Int
        init(_ number: Int) { self.number = number }
    }

    @Test func agreesWithAModelThroughInsertsRemovalsAndGrowth() {
        var table = IdentityTable<Value>(capacity: 4)
        var live: [(key: Key, number: Int)] = []
        var gone: [Key] = []
        var random = SplitMix64(seed: 12)
        for step in 0..<5_000 {
            if live.isEmpty || random.next() % 3 != 0 {
                let key = Key()
                table.insert(Value(step), for: key)
                live.append((key, step))
            } else {
                let index = Int(random.next() % UInt64(live.count))
                let (key, number) = live.remove(at: index)
                #expect(table.remove(key)?.number == number)
                #expect(table.remove(key) == nil)
                gone.append(key)
            }
            #expect(table.count == live.count)
        }
        for (key, number) in live { #expect(table.value(for: key)?.number == number) }
        for key in gone { #expect(table.value(for: key) == nil) }
        #expect(table.value(for: Key()) == nil)
    }
}
