#if os(Linux)
import Glibc
import Testing
@testable import FlexTestHosts

/// The namespaces of process `processID` that exist now.
private func namespaces(of processID: pid_t) -> [String] {
    RootNamespace.entries(of: "/run/netns").filter { $0.hasPrefix(TestHostNames.processPrefix(of: processID)) }
}

@Suite("Test hosts removed on termination", .enabled(if: runsAsRoot))
struct TerminationCleanupTests {
    @Test("flexbench stopped by SIGTERM in the middle of a veth run removes its namespaces")
    func interruptedBenchmarkLeavesNothing() throws {
        // The test binary sits beside the package's executables.
        let testBinary = CommandLine.arguments[0]
        let directory = testBinary.lastIndex(of: "/").map { String(testBinary[..<$0]) } ?? "."
        let binary = directory + "/flexbench"
        try #require(access(binary, X_OK) == 0, "build the package's executables first: \(binary)")
        let command = try RunningCommand([binary, "rpc", "--system", "linux-veth", "--duration", "30", "--warmup", "0"])
        var waited = 0
        while namespaces(of: command.processID).count < 2 && waited < 400 {
            usleep(50_000)
            waited += 1
        }
        #expect(namespaces(of: command.processID).count == 2, "the benchmark's two test hosts exist")
        kill(command.processID, SIGTERM)
        let result = command.wait(timeout: .seconds(30))
        // The cleanup ends the process with 128 + SIGTERM, unless the setup it interrupted fails first on
        // a namespace the cleanup just removed (exit 1): either way it ends at once and leaves nothing.
        #expect(!result.timedOut && (result.status == 128 + SIGTERM || result.status == 1), "\(result)")
        #expect(namespaces(of: command.processID).isEmpty)
    }
}
#endif
