import FlexPort
import FlexTCPCore
import Testing

@Suite("Runtime threads: single thread against separate slow path (real time)", .serialized)
struct ThreadingComparisonTests {
    @Test("1 MB over 4 echo connections in both threading modes, side by side: both verified; the time ratio is printed")
    func sideBySide() throws {
        let clock = MonotonicTimeSource()
        var elapsed: [StackRuntime.Schedule: UInt64] = [.runToCompletion: 0, .separateSlowPath: 0]
        var succeeded = true
        // Alternating rounds, so both modes see the same load of the shared machine.
        for _ in 0..<3 {
            for schedule in StackRuntime.Schedule.threaded {
                let start = clock.now()
                let run = try FourConnectionEcho(schedule: schedule)
                elapsed[schedule, default: 0] += clock.now() - start
                succeeded = succeeded && run.succeeded
            }
        }
        let single = Double(elapsed[.runToCompletion, default: 0]) / 3e6
        let separate = Double(elapsed[.separateSlowPath, default: 0]) / 3e6
        print("1 MB x 4 echo connections, mean of 3: single thread \(single) ms, separate slow path \(separate) ms, "
              + "separate/single = \(separate / single)")
        #expect(succeeded, "every run verified every byte")
    }
}
