@testable import FlexTCPCore
import FlexWire
import Testing

private let second: UInt64 = 1_000_000_000

private func address(_ index: Int) -> IPv4Address { IPv4Address(0xC612_0000 + UInt32(index)) }
private func mac(_ index: Int) -> MACAddress { MACAddress(0x02, 0, 0, 0, UInt8(index >> 8 & 0xff), UInt8(index & 0xff)) }

private func resolver(capacity: Int = 16, reachableTime: UInt64 = 60 * second) -> ARPResolver {
    var configuration = ARPConfiguration()
    configuration.cacheCapacity = capacity
    configuration.reachableTime = reachableTime
    return ARPResolver(configuration: configuration, frameCapacity: 1514)
}

@Suite struct ARPCacheTests {
    @Test("RFC 826 merge: a packet updates a known sender; only a packet for us adds an unknown one")
    func mergeRule() {
        let arp = resolver()
        #expect(arp.learn(address(2), at: mac(2), now: 0, createIfMissing: false) == .ignored)
        #expect(arp.cache.neighbour(for: address(2), now: 0) == nil)
        #expect(arp.learn(address(2), at: mac(2), now: 0, createIfMissing: true) == .added)
        #expect(arp.learn(address(2), at: mac(3), now: 5, createIfMissing: false) == .updated)
        #expect(arp.cache.neighbour(for: address(2), now: 5)
            == Neighbour(address: address(2), hardwareAddress: mac(3), state: .reachable, updatedAt: 5))
        #expect(arp.cache.count == 1)
    }

    @Test("a mapping is reachable for the reachable time, then stale; using it then starts a re-resolution")
    func aging() {
        let arp = resolver(reachableTime: 60 * second)
        _ = arp.learn(address(2), at: mac(2), now: 0, createIfMissing: true)
        #expect(arp.cache.neighbour(for: address(2), now: 60 * second - 1)?.state == .reachable)
        #expect(arp.resolve(address(2), now: 60 * second - 1) == .known(mac(2)))
        #expect(arp.cache.neighbour(for: address(2), now: 60 * second)?.state == .stale)
        #expect(arp.resolve(address(2), now: 60 * second) == .knownStale(mac(2)))
        #expect(arp.cache.neighbour(for: address(2), now: 60 * second)?.state == .probing)
        #expect(arp.resolve(address(2), now: 60 * second + 1) == .known(mac(2)), "one re-resolution at a time")
        #expect(arp.learn(address(2), at: mac(2), now: 61 * second, createIfMissing: false) == .updated)
        #expect(arp.cache.neighbour(for: address(2), now: 61 * second)?.state == .reachable)
        #expect(arp.nextDueAction(now: 62 * second) == nil, "the confirmed mapping has nothing pending")
    }

    @Test("a re-resolution that gets no answer removes the mapping")
    func staleMappingWithoutAnswerIsRemoved() {
        let arp = resolver(reachableTime: second)
        _ = arp.learn(address(2), at: mac(2), now: 0, createIfMissing: true)
        #expect(arp.resolve(address(2), now: 2 * second) == .knownStale(mac(2)))
        var actions: [ResolverAction] = []
        var now = 2 * second
        while now <= 3 * second {
            while let action = arp.nextDueAction(now: now) { actions.append(action) }
            now += 50_000_000
        }
        #expect(actions == [.sendRequest(address(2)), .sendRequest(address(2)), .failed(address(2), requestsSent: 3, droppedFrames: 0)])
        #expect(arp.cache.neighbour(for: address(2), now: now) == nil)
        #expect(arp.resolve(address(2), now: now) == .started, "the next use resolves afresh")
    }

    @Test("a full table evicts the mapping updated longest ago")
    func evictsOldest() {
        let arp = resolver(capacity: 4)
        for index in 1...4 { _ = arp.learn(address(index), at: mac(index), now: UInt64(index), createIfMissing: true) }
        _ = arp.learn(address(1), at: mac(1), now: 10, createIfMissing: false)
        #expect(arp.learn(address(5), at: mac(5), now: 11, createIfMissing: true) == .added)
        #expect(arp.cache.count == 4)
        #expect(arp.cache.neighbour(for: address(2), now: 11) == nil, "address 2 was the oldest once 1 was refreshed")
        #expect(Set(arp.cache.neighbours(now: 11).map(\.address)) == [address(1), address(3), address(4), address(5)])
    }

    @Test("a flood of senders never grows the table nor evicts a resolution in progress")
    func floodIsBounded() {
        let arp = resolver(capacity: 8)
        #expect(arp.resolve(address(1), now: 0) == .started)
        for index in 2..<10_002 {
            _ = arp.learn(address(index), at: mac(index), now: UInt64(index), createIfMissing: true)
        }
        #expect(arp.cache.count == 8)
        #expect(arp.cache.neighbour(for: address(1), now: 10_002)?.state == .incomplete)
        #expect(arp.cache.neighbour(for: address(10_001), now: 10_002)?.state == .reachable, "the newest sender is kept")
    }

    @Test("when every entry is being resolved, nothing new starts and nothing is added")
    func tableFullOfResolutions() {
        let arp = resolver(capacity: 2)
        #expect(arp.resolve(address(1), now: 0) == .started)
        #expect(arp.resolve(address(2), now: 0) == .started)
        #expect(arp.resolve(address(3), now: 0) == .cacheFull)
        #expect(arp.learn(address(4), at: mac(4), now: 0, createIfMissing: true) == .ignored)
        #expect(arp.resolve(address(1), now: 1) == .inProgress)
    }

    @Test("waiting frames: a bounded queue per neighbour, handed back in order when resolved")
    func waitingFrames() {
        let arp = resolver()
        let frames: [[UInt8]] = (0..<6).map { [UInt8](repeating: UInt8($0), count: 60 + $0) }
        #expect(!frames[0].withUnsafeBytes { arp.enqueue($0, for: address(2)) }, "nothing waits without a resolution")
        #expect(arp.resolve(address(2), now: 0) == .started)
        let accepted = frames.map { frame in frame.withUnsafeBytes { arp.enqueue($0, for: address(2)) } }
        #expect(accepted == [true, true, true, true, false, false])
        guard case let .resolved(slot, requestsSent, elapsed) = arp.learn(address(2), at: mac(2), now: 40, createIfMissing: false) else {
            Issue.record("the reply did not complete the resolution")
            return
        }
        #expect(requestsSent == 1 && elapsed == 40)
        var released: [[UInt8]] = []
        while let frame = arp.firstWaitingFrame(inSlot: slot) {
            released.append(Array(frame))
            arp.removeFirstWaitingFrame(inSlot: slot)
        }
        #expect(released == Array(frames[0..<4]))
    }

    @Test("the shared pool of waiting frames is bounded across neighbours")
    func waitingPoolIsShared() {
        var configuration = ARPConfiguration()
        configuration.waitingFrameCapacity = 3
        let arp = ARPResolver(configuration: configuration, frameCapacity: 100)
        let frame = [UInt8](repeating: 7, count: 80)
        _ = arp.resolve(address(2), now: 0)
        _ = arp.resolve(address(3), now: 0)
        let accepted = [2, 2, 3, 3].map { index in frame.withUnsafeBytes { arp.enqueue($0, for: address(index)) } }
        #expect(accepted == [true, true, true, false])
        #expect(![UInt8](repeating: 0, count: 101).withUnsafeBytes { arp.enqueue($0, for: address(3)) }, "longer than a buffer")
    }

    @Test("retries double from the first interval; the failure comes one interval after the last request")
    func backOffSchedule() {
        var configuration = ARPConfiguration()
        configuration.requestAttempts = 4
        configuration.firstRetryInterval = 10
        let arp = ARPResolver(configuration: configuration, frameCapacity: 100)
        _ = arp.resolve(address(2), now: 1000)
        var schedule: [UInt64] = []
        for now in UInt64(1000)...1200 {
            while let action = arp.nextDueAction(now: now) {
                schedule.append(now)
                if case .failed = action { #expect(now == 1150) }
            }
        }
        #expect(schedule == [1010, 1030, 1070, 1150])
    }
}
