import FlexPort
import FlexWire
import Testing
@testable import FlexTCPCore

@Suite("Examining changed flows at an interval")
struct ChangeExaminationTests {
    static let millisecond = StackPair.millisecond

    /// Sends 1 MB from A to B; returns A's slow-path visits and whether B got the bytes intact.
    static func transfer(examinationInterval: UInt64) throws -> (visits: UInt64, intact: Bool, nextDeadlineAhead: UInt64) {
        let pair = try StackPair(a: StackPair.configuration {
            $0.congestionControl = nil
            $0.changeExaminationInterval = examinationInterval
        })
        let (flowA, flowB) = try pair.connect()
        let data = StackPair.pattern(count: 1_000_000, seed: 31)
        let visitsBefore = pair.a.slowPath.counters.connectionVisits
        var offset = 0
        let done = pair.run {
            if offset < data.count { offset += pair.a.send(data[offset...], on: flowA, now: pair.now) }
            return pair.b.received[flowB, default: []].count >= data.count
        }
        return (pair.a.slowPath.counters.connectionVisits - visitsBefore, done && pair.b.received[flowB] == data,
                pair.a.slowPath.nextDeadline - pair.now)
    }

    @Test("With changeExaminationInterval the flows the fast path reports changed are examined at most once per interval, nextDeadline names the next examination, and the data still arrives")
    func examinedAtMostOncePerInterval() throws {
        let everyAdvance = try Self.transfer(examinationInterval: 0)
        let everyFiveMilliseconds = try Self.transfer(examinationInterval: 5 * Self.millisecond)
        #expect(everyAdvance.intact && everyFiveMilliseconds.intact)
        #expect(everyFiveMilliseconds.visits * 5 < everyAdvance.visits, "visits \(everyFiveMilliseconds.visits) vs \(everyAdvance.visits)")
        #expect(everyFiveMilliseconds.nextDeadlineAhead <= 5 * Self.millisecond)
    }
}
