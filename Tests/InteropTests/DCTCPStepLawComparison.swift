#if os(Linux)
import Foundation
import Testing
import FlexPort
import FlexTCPCore
import FlexTCPTools
import FlexWire
import FlexTestHosts

/// A smaller stand-in for `LinuxTCPScaleTests`' 100 × 10 MB send to Linux, to compare DCTCP's two
/// step laws (`DCTCPConfiguration.timeWeightedSteps`) on the same machine one after the other:
/// `FLEXTCP_STEP_LAW_CONNECTIONS=N` (e.g. 100) runs N connections × 1 MB from FlexTCP to a Linux
/// sink over veth with each law, in the order `FLEXTCP_STEP_LAW_ORDER` gives ("appendix-first", the
/// default, or "time-weighted-first"), and prints the time, RTOs and the sampled controllers' state.
/// A comparison for a person, not a test of timings: it asserts only that every transfer finishes.
@Suite("DCTCP step laws against a Linux sink (opt-in comparison)", .serialized,
       .enabled(if: runsAsRoot && ProcessInfo.processInfo.environment["FLEXTCP_STEP_LAW_CONNECTIONS"] != nil))
struct DCTCPStepLawComparison {
    static var connections: Int { Int(ProcessInfo.processInfo.environment["FLEXTCP_STEP_LAW_CONNECTIONS"] ?? "") ?? 20 }
    static var laws: [Bool] {
        ProcessInfo.processInfo.environment["FLEXTCP_STEP_LAW_ORDER"] == "time-weighted-first" ? [true, false] : [false, true]
    }

    @Test("N connections × 1 MB from FlexTCP to Linux with the appendix law and with time-weighted steps")
    func compareLaws() throws {
        for timeWeighted in Self.laws { try send(timeWeightedSteps: timeWeighted) }
    }

    private func send(timeWeightedSteps: Bool) throws {
        let connections = Self.connections
        try TestNetwork.with { network in
            let stackSide = try network.makeNamespace()
            let kernel = try network.makeNamespace()
            let pair = try network.makeVethPair(between: stackSide, and: kernel)
            try kernel.assign(TestAddress("198.18.41.1/24"), to: pair.second.name)
            var portConfiguration = AFPacketConfiguration()
            portConfiguration.receiveFrameCount = connections * 32 * 1024 / 1448 + 64
            let port = try stackSide.perform { try AFPacketPort(interfaceName: pair.first.name, configuration: portConfiguration) }
            var configuration = StackConfiguration(interface: try InterfaceAddress("198.18.41.2/24"))
            configuration.flowCapacity = connections + 28
            configuration.receiveRingSize = 32 * 1024
            configuration.transmitRingSize = 256 * 1024
            configuration.slowPath.congestionControl = try DCTCPConfiguration(
                maximumRateBytesPerSecond: RateUnit.bytesPerSecond(megabitsPerSecond: 10_000), timeWeightedSteps: timeWeightedSteps)
            let stack = try RuntimeLoop(port: port, configuration: configuration)
            let sink = """
                import socket, threading
                ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                ls.bind(("198.18.41.1", 5003)); ls.listen(\(connections)); ls.settimeout(60)
                def serve(c):
                    while c.recv(262144): pass
                    c.close()
                ts = []
                for i in range(\(connections)):
                    c, a = ls.accept(); t = threading.Thread(target=serve, args=(c,)); t.start(); ts.append(t)
                [t.join() for t in ts]
                """
            let server = try kernel.start(["timeout", "300", "python3", "-c", sink])
            for _ in 0..<100 where !(try kernel.runChecked(["ss", "-Hltn", "sport = :5003"]).contains(":5003")) {
                _ = try kernel.run(["sleep", "0.1"])
            }
            stack.network.announce()
            let client = SendClient(context: try stack.makeContext(), to: IPv4Address(198, 18, 41, 1), port: 5003,
                                    bytesPerConnection: 1_000_000, connections: connections, seed: 42, verifiesEcho: false)
            var watch = ControllerSamples()
            let seconds = drive(stack, limit: 240, step: { now in
                watch.sample(stack, now: now)
                return client.step()
            }, until: { client.isFinished })
            _ = server.wait(timeout: .seconds(30))
            #expect(seconds != nil, "not finished within 240 s")
            print("\(timeWeightedSteps ? "time-weighted steps" : "appendix law"), \(connections) × 1 MB to Linux: "
                  + "\(seconds.map { "\(Int($0 * 1000)) ms" } ?? "timed out"); RTOs \(stack.slowPath.counters.retransmissionTimeouts), "
                  + "segments retransmitted \(stack.fastPath.segmentsRetransmitted); \(watch)")
        }
    }
}

/// Every 5 ms, each flow's DCTCP controller and RTT estimate: how often flows sat at the minimum
/// rate or in slow start, and the medians of rate, control interval and RTT.
private struct ControllerSamples: CustomStringConvertible {
    private var next: UInt64 = 0
    private var count = 0, atMinimum = 0, inSlowStart = 0
    private var rates: [UInt64] = [], intervals: [UInt64] = [], roundTrips: [UInt64] = []

    mutating func sample(_ stack: RuntimeLoop, now: UInt64) {
        guard now >= next else { return }
        next = now &+ 5_000_000
        for flow in 0..<FlowIndex(stack.configuration.flowCapacity) {
            guard let controller = stack.slowPath.congestionController(of: flow) as? DCTCPRateController,
                  let state = stack.fastPath.state(of: flow) else { continue }
            count += 1
            if Double(controller.rateBytesPerSecond) <= controller.configuration.rateBounds.minimumBytesPerSecond { atMinimum += 1 }
            if controller.isInSlowStart { inSlowStart += 1 }
            rates.append(controller.rateBytesPerSecond)
            intervals.append(controller.controlIntervalNanoseconds)
            roundTrips.append(UInt64(state.roundTripMicroseconds))
        }
    }

    var description: String {
        func median(_ values: [UInt64]) -> UInt64 { values.isEmpty ? 0 : values.sorted()[values.count / 2] }
        return "\(count) samples, \(atMinimum) at the minimum rate, \(inSlowStart) in slow start; median rate \(median(rates)) B/s, "
            + "control interval \(median(intervals) / 1000) µs, RTT \(median(roundTrips)) µs"
    }
}
#endif
