import FlexPort
import FlexWire
import Testing
@testable import FlexTCPCore

/// Compares byte arrays without making a failed expectation print them whole.
func sameBytes(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool { lhs == rhs }

@Suite("Fast path data transfer")
struct FastPathTests {
    @Test("per-flow state fits in two cache lines")
    func flowStateSize() {
        #expect(MemoryLayout<FlowState>.size <= 128)
    }

    @Test("bulk transfer both ways arrives complete and in order", arguments: [FlowOptions.timestamps, []])
    func bulkBothWays(options: FlowOptions) throws {
        let pair = try FastPathPair(options: options)
        let forward = FastPathPair.pattern(count: 300_000, seed: 1)
        let backward = FastPathPair.pattern(count: 200_000, seed: 2)
        pair.transfer(forward, from: pair.a)
        pair.transfer(backward, from: pair.b)
        #expect(sameBytes(pair.receivedByB, forward))
        #expect(sameBytes(pair.receivedByA, backward))
        #expect(pair.timeouts == 0)
        let stateA = try #require(pair.a.state(of: 0))
        #expect(stateA.ackedBytes == UInt32(forward.count))
        #expect(stateA.transmitSent == 0 && stateA.transmitPending == 0)
        #expect(pair.exceptionsAtA.isEmpty && pair.exceptionsAtB.isEmpty)
        if options.contains(.timestamps) { #expect(stateA.roundTripMicroseconds > 0) }
    }

    @Test("sequence numbers wrap around 2^32")
    func sequenceWraparound() throws {
        let pair = try FastPathPair(initialSequenceA: UInt32.max - 50_000, initialSequenceB: UInt32.max - 10)
        let data = FastPathPair.pattern(count: 200_000, seed: 3)
        pair.transfer(data, from: pair.a)
        pair.transfer(Array(data.prefix(50_000)), from: pair.b)
        #expect(sameBytes(pair.receivedByB, data))
        #expect(sameBytes(pair.receivedByA, Array(data.prefix(50_000))))
        #expect(try #require(pair.a.state(of: 0)).sendUnacknowledged == SequenceNumber(UInt32.max - 50_000) + 200_000)
    }

    @Test("window scaling lets a 1 MiB ring be advertised")
    func windowScaling() throws {
        let pair = try FastPathPair(windowShift: 5, ringSize: 1 << 20)
        let data = FastPathPair.pattern(count: 3_000_000, seed: 4)
        pair.transfer(data, from: pair.a)
        #expect(sameBytes(pair.receivedByB, data))
        #expect(try #require(pair.b.state(of: 0)).advertisedWindow == UInt16((1 << 20) >> 5))
    }

    @Test("random loss is repaired by fast retransmit and timeouts", arguments: [0.01, 0.05])
    func lossRecovery(probability: Double) throws {
        var settings = LinkEmulatorSettings()
        settings.dropProbability = probability
        settings.seed = 11
        let pair = try transferThroughImpairedLink(settings, bytes: 400_000, seed: 5)
        let state = try #require(pair.a.state(of: 0))
        #expect(state.fastRetransmits > 0)
        #expect(pair.b.frames(withVerdict: .outOfWindow) + UInt64(state.fastRetransmits) > 0)
    }

    @Test("reordering is absorbed by the out-of-order interval", arguments: [0.02, 0.2])
    func reordering(probability: Double) throws {
        var settings = LinkEmulatorSettings()
        settings.reorderProbability = probability
        settings.reorderHoldNanoseconds = 25_000
        settings.rateBitsPerSecond = 10_000_000_000
        _ = try transferThroughImpairedLink(settings, bytes: 300_000, seed: 6)
    }

    @Test("duplicated and corrupted segments never reach the application")
    func duplicationAndCorruption() throws {
        var settings = LinkEmulatorSettings()
        settings.duplicateProbability = 0.05
        settings.corruptProbability = 0.02
        settings.seed = 21
        let pair = try transferThroughImpairedLink(settings, bytes: 300_000, seed: 7)
        let corrupted = pair.a.frames(withVerdict: .badChecksum) + pair.b.frames(withVerdict: .badChecksum)
            + pair.a.frames(withVerdict: .malformed) + pair.b.frames(withVerdict: .malformed)
            + UInt64(pair.exceptionsAtA.count + pair.exceptionsAtB.count)
        #expect(corrupted > 0)
    }

    @Test("a full receive ring closes the window; freeing it reopens the flow")
    func zeroWindow() throws {
        let pair = try FastPathPair(ringSize: 16 * 1024)
        let data = FastPathPair.pattern(count: 100_000, seed: 8)
        // B's application reads nothing at first: A may fill exactly B's ring, then stops.
        var offset = 0
        for _ in 0..<50 {
            offset += pair.send(data[offset...], from: pair.a)
            pair.exchangeUnread()
        }
        let stalled = try #require(pair.b.state(of: 0))
        #expect(stalled.receiveSpace == 0)
        #expect(stalled.advertisedWindow == 0)
        #expect(try #require(pair.a.state(of: 0)).peerWindow == 0)
        // The application frees the whole ring: a window update restarts the sender.
        #expect(pair.b.applicationFreed(flow: 0, bytes: 16 * 1024, now: pair.clock.now()))
        pair.receivedByB = Array(data.prefix(16 * 1024))
        pair.run {
            if offset < data.count { offset += pair.send(data[offset...], from: pair.a) }
            return pair.receivedByB.count >= data.count
        }
        #expect(sameBytes(pair.receivedByB, data))
    }

    @Test("a window below one MSS that grows to a segment is announced at once, not each few bytes (RFC 1122 4.2.3.3)")
    func smallWindowUpdate() throws {
        let ringSize: UInt32 = 16 * 1024
        let pair = try FastPathPair(ringSize: ringSize)
        // A sends all but 300 bytes of B's ring and then has nothing more: B advertises 300 bytes, less
        // than a segment, which a sender avoiding silly windows (Linux) would not fill.
        let data = FastPathPair.pattern(count: Int(ringSize) - 300, seed: 21)
        var offset = 0
        for _ in 0..<50 {
            offset += pair.send(data[offset...], from: pair.a)
            pair.exchangeUnread()
        }
        #expect(offset == data.count)
        #expect(try #require(pair.a.state(of: 0)).peerWindow == 300)
        // Freeing a few bytes keeps the open window below a segment: no update. Freeing the rest announces it.
        #expect(pair.b.applicationFreed(flow: 0, bytes: 100, now: pair.clock.now()))
        #expect(pair.wire.a.receive(into: pair.receiveBatch) == 0)
        #expect(pair.b.applicationFreed(flow: 0, bytes: UInt32(data.count - 100), now: pair.clock.now()))
        #expect(pair.wire.a.receive(into: pair.receiveBatch) == 1)
        pair.a.processReceived(pair.receiveBatch, now: pair.clock.now())
        pair.wire.a.releaseReceived(pair.receiveBatch)
        #expect(try #require(pair.a.state(of: 0)).peerWindow == ringSize)
    }

    /// Sends `bytes` seeded bytes from A to B over links impaired by `settings`; expects them intact.
    private func transferThroughImpairedLink(_ settings: LinkEmulatorSettings, bytes: Int, seed: UInt64) throws -> FastPathPair {
        let pair = try FastPathPair(impairment: settings)
        let data = FastPathPair.pattern(count: bytes, seed: seed)
        pair.transfer(data, from: pair.a)
        #expect(sameBytes(pair.receivedByB, data))
        return pair
    }

    @Test("an untrusted application cannot over-queue or over-free")
    func applicationBounds() throws {
        let pair = try FastPathPair()
        #expect(!pair.a.applicationQueued(flow: 0, bytes: FastPathPair.ringSize + 1, now: 0))
        #expect(!pair.a.applicationFreed(flow: 0, bytes: 1, now: 0))
        #expect(!pair.a.applicationQueued(flow: 7, bytes: 1, now: 0))
        #expect(!pair.a.applicationQueued(flow: 100_000, bytes: 1, now: 0))
    }
}
