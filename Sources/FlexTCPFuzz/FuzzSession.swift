/// What a fuzz session found: the first invariant that failed, at which step, and how many steps ran.
public struct FuzzOutcome: Sendable, CustomStringConvertible {
    public var steps = 0
    public var violation: (invariant: String, detail: String, step: Int)?
    /// The last actions before the end (newest last), to tell what broke an invariant.
    public var recentActions: [String] = []

    public var description: String {
        guard let violation else { return "\(steps) steps, all invariants held" }
        return "step \(violation.step): \(violation.invariant): \(violation.detail); last actions: \(recentActions.joined(separator: "; "))"
    }
}

/// The fuzz driver both the seeded test loop and the libFuzzer entry point call: one established
/// connection, then a sequence of actions decided by `choices` — legitimate segments, consistent
/// mutants, hostile and garbage frames, time passing, the application reading and writing — with
/// every invariant checked after each.
///
/// Contract: a session runs until `maximumSteps` or until `choices` is exhausted, and stops at the
/// first violation. It ends by letting the legitimate peer finish (its whole stream and FIN, time
/// passing, the application reading everything) and checks once more. Never traps on any input
/// unless the stack does.
public enum FuzzSession {
    public static func run(choices: inout some FuzzChoices, maximumSteps: Int,
                           invariants: [FlowInvariant] = FlowInvariant.standard) throws -> FuzzOutcome {
        let harness = try FuzzHarness()
        var outcome = FuzzOutcome()
        for step in 0..<maximumSteps where !choices.isExhausted {
            outcome.recentActions = (outcome.recentActions + [act(harness, &choices)]).suffix(6)
            harness.settle()
            outcome.steps = step + 1
            if let violation = firstViolation(harness, invariants, step: step) {
                outcome.violation = violation
                return outcome
            }
        }
        finish(harness)
        outcome.violation = firstViolation(harness, invariants, step: outcome.steps)
        return outcome
    }

    /// Performs one action; returns what it was.
    private static func act(_ harness: FuzzHarness, _ choices: inout some FuzzChoices) -> String {
        switch choices.number(below: 16) {
        case 0..<4:
            harness.inject(FrameForger.legitimate(harness, &choices))
            return "legitimate segment"
        case 4:
            harness.inject(FrameForger.acknowledgment(harness))
            return "legitimate ACK"
        case 5..<8:
            FrameForger.consistent(harness, &choices).forEach(harness.inject)
            return "mutated segment"
        case 8..<10:
            let (kind, frame) = FrameForger.hostile(harness, &choices)
            harness.inject(frame)
            return "hostile: \(kind)"
        case 10:
            harness.inject(FrameForger.garbage(harness, &choices))
            return "garbage"
        case 11, 12:
            let milliseconds = choices.number(in: 1...(choices.oneIn(8) ? 3000 : 100))
            harness.advance(by: UInt64(milliseconds) * FuzzHarness.millisecond)
            return "\(milliseconds) ms pass"
        case 13, 14:
            harness.read(upTo: choices.number(in: 1...20_000))
            return "application reads"
        default:
            harness.write(upTo: choices.number(in: 1...4000))
            return "application writes"
        }
    }

    /// The legitimate peer sends the rest of its stream and its FIN while time passes and the
    /// application reads, so a session that ran short still ends where the invariants bite.
    private static func finish(_ harness: FuzzHarness) {
        for _ in 0..<400 where !harness.applicationSawEnd && harness.flowState != nil {
            harness.inject(FrameForger.fromAcknowledgment(harness))
            harness.settle()
            harness.read(upTo: 64 * 1024)
            harness.advance(by: 25 * FuzzHarness.millisecond)
            harness.inject(FrameForger.acknowledgment(harness))
            harness.settle()
        }
    }

    private static func firstViolation(_ harness: FuzzHarness, _ invariants: [FlowInvariant], step: Int)
        -> (invariant: String, detail: String, step: Int)? {
        for invariant in invariants {
            if let detail = invariant.check(harness) { return (invariant.name, detail, step) }
        }
        return nil
    }
}
