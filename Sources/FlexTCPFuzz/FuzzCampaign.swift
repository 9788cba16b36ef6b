#if canImport(Glibc)
import Glibc
#endif

/// Runs many seeded fuzz sessions: session `i` uses seed `firstSeed + i`, so any failure replays
/// alone with its seed and one iteration.
public enum FuzzCampaign {
    /// Steps per session in the seeded loop (libFuzzer inputs run until their bytes run out, at most this).
    public static let stepsPerSession = 300

    /// Iterations and first seed from the environment (FLEXTCP_FUZZ_ITERATIONS, FLEXTCP_FUZZ_SEED),
    /// else the given defaults.
    public static func settings(defaultIterations: Int, defaultSeed: UInt64) -> (iterations: Int, seed: UInt64) {
        (variable("FLEXTCP_FUZZ_ITERATIONS").flatMap { Int($0) } ?? defaultIterations,
         variable("FLEXTCP_FUZZ_SEED").flatMap { UInt64($0) } ?? defaultSeed)
    }

    private static func variable(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    /// Runs `iterations` sessions from `firstSeed`; returns each failing seed with its outcome
    /// (stopping after `maximumFailures`).
    public static func run(iterations: Int, firstSeed: UInt64, maximumFailures: Int = 5) throws -> [(seed: UInt64, outcome: FuzzOutcome)] {
        var failures: [(seed: UInt64, outcome: FuzzOutcome)] = []
        for iteration in 0..<iterations where failures.count < maximumFailures {
            let seed = firstSeed &+ UInt64(iteration)
            var choices = SeededChoices(seed: seed)
            let outcome = try FuzzSession.run(choices: &choices, maximumSteps: stepsPerSession)
            if outcome.violation != nil { failures.append((seed, outcome)) }
        }
        return failures
    }
}
