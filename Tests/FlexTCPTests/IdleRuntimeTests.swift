import FlexPort
import FlexTCP
import FlexTCPCore
import FlexTestSupport
import FlexWire
import Foundation
import Testing

/// One runtime at 198.18.0.1 on end `a` of an in-memory wire whose end `b` the test drives by hand.
private struct IdleRuntime {
    let wire: MemoryWire
    let runtime: StackRuntime

    init(schedule: StackRuntime.Schedule) throws {
        wire = try MemoryWire(capacity: 256, maximumFrameLength: 1514)
        // Slices of a minute: a runtime that slept in slices would make no progress within the tests' deadlines.
        runtime = try TestRuntimes.make(port: wire.a, interface: TestWire.interfaceA, contextCount: 1,
                                        schedule: schedule, minimumIdleSlice: 60_000_000_000, maximumIdleSlice: 60_000_000_000)
        try runtime.start()
    }

    /// An ARP request for the runtime's address from 198.18.0.9 at end `b`.
    var arpRequest: [UInt8] {
        let arp = ARPRepr(operation: .request, senderHardwareAddress: wire.b.macAddress, senderProtocolAddress: IPv4Address(198, 18, 0, 9),
                          targetHardwareAddress: .zero, targetProtocolAddress: IPv4Address(198, 18, 0, 1))
        return try! FrameHeaders(ethernet: EthernetRepr(destination: .broadcast, source: wire.b.macAddress, etherType: .arp),
                                 network: .arp(arp)).frame()
    }
}

@Suite("Idle runtime threads (real time)", .serialized)
struct IdleRuntimeTests {
    @Test("An idle runtime sleeps on the port and the contexts together: it wakes for each frame and each request", arguments: StackRuntime.Schedule.threaded)
    func wakesForFramesAndEntries(schedule: StackRuntime.Schedule) throws {
        let idle = try IdleRuntime(schedule: schedule)
        defer { idle.runtime.stop() }
        let deadline = Deadline(seconds: 30)
        var replies = 0
        for _ in 0..<20 where !deadline.hasPassed {
            #expect(idle.wire.b.transmit(idle.arpRequest))
            var answered = false
            while !answered && !deadline.hasPassed {
                _ = idle.wire.b.waitForFrames(timeoutNanoseconds: 100_000_000)
                answered = idle.wire.b.receiveCopies().contains { $0.count >= 42 && $0[12] == 0x08 && $0[13] == 0x06 && $0[21] == 2 }
            }
            if answered { replies += 1 }
        }
        let context = try Context(attachment: idle.runtime.attachment(for: 0))
        var opened = 0
        for index in 0..<20 where !deadline.hasPassed {
            let listener = context.listen(on: UInt16(1000 + index))
            while listener.status == nil && !deadline.hasPassed {
                if context.poll({ _ in }) == 0 { context.wait(timeout: .milliseconds(100)) }
            }
            if listener.status == .success { opened += 1 }
        }
        idle.runtime.stop()

        #expect(replies == 20, "every ARP request was answered")
        #expect(opened == 20, "every listener request was answered")
        let statistics = idle.runtime.statistics
        #expect(statistics.idleWaits > 0 && statistics.idleSliceWaits == 0, "\(statistics)")
    }

    @Test("An idle runtime thread uses almost no CPU", arguments: StackRuntime.Schedule.threaded)
    func idleCPU(schedule: StackRuntime.Schedule) throws {
        let idle = try IdleRuntime(schedule: schedule)
        let clock = MonotonicTimeSource()
        let start = clock.now()
        let deadline = Deadline(seconds: 1)
        while !deadline.hasPassed { usleep(10_000) }
        idle.runtime.stop()
        let wall = clock.now() - start
        let cpu = idle.runtime.statistics.threadCPUNanoseconds
        print("idle runtime thread: \(cpu / 1000) µs CPU in \(wall / 1_000_000) ms (\(Double(cpu) * 100 / Double(wall)) %)")
        #expect(cpu * 20 < wall, "below 5% of the wall time")
    }
}
