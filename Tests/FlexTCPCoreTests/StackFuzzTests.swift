import FlexTCPFuzz
import Testing

/// The fuzz driver's seeded loop in the suite: a fixed number of sessions (more, or other seeds,
/// with FLEXTCP_FUZZ_ITERATIONS and FLEXTCP_FUZZ_SEED).
@Suite("Stack fuzzing: forged frames against one established connection")
struct StackFuzzTests {
    @Test("Every invariant holds after every frame of seeded fuzz sessions")
    func seededSessions() throws {
        let (iterations, seed) = FuzzCampaign.settings(defaultIterations: 80, defaultSeed: 1)
        let failures = try FuzzCampaign.run(iterations: iterations, firstSeed: seed)
        for failure in failures {
            Issue.record("seed \(failure.seed) (replay: FLEXTCP_FUZZ_SEED=\(failure.seed) FLEXTCP_FUZZ_ITERATIONS=1): \(failure.outcome)")
        }
    }

    @Test("A session runs its steps, and the legitimate transfer completes when nothing is forged")
    func harnessCompletesCleanTransfer() throws {
        let harness = try FuzzHarness()
        harness.write(upTo: 4000)
        for _ in 0..<200 where !harness.applicationSawEnd || harness.peerReceived < 4000 {
            harness.inject(harness.applicationSawEnd ? FrameForger.acknowledgment(harness) : FrameForger.fromAcknowledgment(harness))
            harness.settle()
            harness.read(upTo: 64 * 1024)
            harness.advance(by: 5 * FuzzHarness.millisecond)
        }
        #expect(harness.applicationRead == FuzzStreams.peerStreamLength)
        #expect(harness.applicationSawEnd)
        #expect(harness.peerStreamMismatch == nil && harness.stackStreamMismatch == nil)
        #expect(harness.peerReceived == 4000)
        for invariant in FlowInvariant.standard { #expect(invariant.check(harness) == nil, "\(invariant.name)") }
    }
}
