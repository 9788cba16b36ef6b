@testable import FlexNVMe
import Testing

/// Bytes of zero-copy sends are released only once their completion arrived, oldest first, copied sends
/// among them waiting for the zero-copy sends before them; completion ranges wrap modulo 2^32.
@Suite("NVMe/TCP zero-copy send ledger")
struct ZeroCopyLedgerTests {
    @Test("a later completion releases nothing until the oldest send completed; copied sends wait behind zero-copy ones")
    func releasesInOrder() {
        var ledger = ZeroCopyLedger()
        ledger.record(bytes: 4096, zeroCopy: true)  // number 0
        ledger.record(bytes: 100, zeroCopy: false)
        ledger.record(bytes: 8192, zeroCopy: true)  // number 1
        #expect(ledger.complete(from: 1, to: 1) == 1)
        #expect(ledger.releasable() == 0)
        #expect(ledger.complete(from: 0, to: 0) == 1)
        #expect(ledger.releasable() == 4096 + 100 + 8192)
        #expect(ledger.isEmpty)
        ledger.record(bytes: 100, zeroCopy: false)
        #expect(ledger.releasable() == 100)
    }

    @Test("a range that wraps past 2^32 - 1 completes the sends on both sides of the wrap, and no others")
    func wrappingRange() {
        var ledger = ZeroCopyLedger(nextNumber: UInt32.max - 1)
        for _ in 0..<4 { ledger.record(bytes: 10, zeroCopy: true) }  // numbers 2^32 - 2, 2^32 - 1, 0, 1
        #expect(ledger.complete(from: UInt32.max - 1, to: 0) == 3)
        #expect(ledger.releasable() == 30)
        #expect(ledger.complete(from: 1, to: 1) == 1)
        #expect(ledger.releasable() == 10)
    }
}
