import ArgumentParser
import FlexBench
import FlexTCPCore

/// `flexbench idle-connections`: what one slow-path `advance` costs on a stack that holds many
/// idle established connections (two stacks on the in-memory wire, virtual time).
struct IdleConnectionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle-connections",
        abstract: "Nanoseconds per slow-path advance with 1,000 / 10,000 / 100,000 idle connections.")

    @Option(help: "Idle connection counts, comma-separated.")
    var counts: String = "1000,10000,100000"

    @Option(help: "Seconds of timed advance calls per count.")
    var seconds: Double = 0.5

    @Flag(help: "Turn DCTCP congestion control off (the stack's default is on).")
    var noCongestionControl = false

    func run() throws {
        let parsed = counts.split(separator: ",").compactMap { Int($0) }
        guard !parsed.isEmpty, parsed.allSatisfy({ $0 > 0 }) else { throw ValidationError("--counts must list positive integers") }
        print("flexbench idle-connections: virtual time \(IdleConnectionPair.pollStep / 1000) µs per advance, "
              + "congestion control \(noCongestionControl ? "off" : "DCTCP")")
        print("connections  advance calls  CPU ns/advance  with 1 changed flow  with 16 changed flows")
        for count in parsed {
            let pair = try IdleConnectionPair(connections: count) {
                if noCongestionControl { $0.slowPath.congestionControl = nil }
            }
            pair.run(for: 100_000_000)
            let timing = IdleAdvanceTiming.measure(pair, seconds: seconds)
            let one = IdleAdvanceTiming.measure(pair, seconds: seconds, changedFlows: 1)
            let sixteen = IdleAdvanceTiming.measure(pair, seconds: seconds, changedFlows: 16)
            print("\(pad(count, 11))  \(pad(timing.calls, 13))  \(pad(Int(timing.nanosecondsPerAdvance.rounded()), 14))"
                  + "  \(pad(Int(one.nanosecondsPerAdvance.rounded()), 19))  \(pad(Int(sixteen.nanosecondsPerAdvance.rounded()), 21))")
        }
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
