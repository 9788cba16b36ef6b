import FlexBench
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("ProcessCPUTime: a process's CPU time from /proc")
struct ProcessCPUTimeTests {
    @Test("this process's CPU time grows with work; a process that does not exist throws instead of reading 0")
    func readsOrThrows() throws {
        let before = try ProcessCPUTime.nanoseconds(of: getpid())
        var sum: UInt64 = 0
        let start = try ProcessCPUTime.nanoseconds(of: getpid())
        while try ProcessCPUTime.nanoseconds(of: getpid()) == start { for value in 0..<1_000_000 as Range<UInt64> { sum &+= value } }
        #expect(try ProcessCPUTime.nanoseconds(of: getpid()) > before, "after work (\(sum))")
        #expect(throws: BenchmarkFailure.self) { try ProcessCPUTime.nanoseconds(of: pid_t(Int32.max)) }
    }
}
