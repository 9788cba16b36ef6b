import FlexTCPFuzz
#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer's entry point: the input's bytes decide one fuzz session; a violated invariant traps
/// so libFuzzer records the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var choices = ByteChoices(Array(UnsafeBufferPointer(start: data, count: size)))
    do {
        let outcome = try FuzzSession.run(choices: &choices, maximumSteps: FuzzCampaign.stepsPerSession)
        if outcome.violation != nil { fatalError("\(outcome)") }
    } catch {
        fatalError("fuzz harness setup failed: \(error)")
    }
    return 0
}

#if FLEXTCP_LIBFUZZER
/// libFuzzer's driver (compiler-rt): parses libFuzzer's flags from argv and fuzzes `callback`.
@_silgen_name("LLVMFuzzerRunDriver")
func runLibFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>,
                        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                        _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// SwiftPM links an executable's `main` to `<module>_main`, so libFuzzer's own `main` is not
/// used: this entry point hands argv to libFuzzer's driver instead.
@_cdecl("flextcp_fuzz_main")
public func libFuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return runLibFuzzerDriver(&count, &arguments) { data, size in fuzzTestOneInput(data, size) }
}
#else
/// Without libFuzzer (built normally): the seeded loop, FLEXTCP_FUZZ_ITERATIONS sessions from
/// FLEXTCP_FUZZ_SEED; exits 1 if any session violated an invariant.
@main
struct SeededFuzzCommand {
    static func main() throws {
        let (iterations, seed) = FuzzCampaign.settings(defaultIterations: 1000, defaultSeed: 1)
        let failures = try FuzzCampaign.run(iterations: iterations, firstSeed: seed)
        for failure in failures { print("seed \(failure.seed): \(failure.outcome)") }
        print("\(iterations) sessions from seed \(seed): \(failures.isEmpty ? "no violations" : "\(failures.count) failing seed(s)")")
        if !failures.isEmpty { exit(1) }
    }
}
#endif
