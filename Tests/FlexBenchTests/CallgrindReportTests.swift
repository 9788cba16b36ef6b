@testable import FlexBench
import Testing

/// Reading callgrind's output for `flexbench profile`, on text as valgrind 3.19 writes it.
@Suite struct CallgrindReportTests {
    @Test func totalsComeFromTheSummaryLine() {
        #expect(CallgrindReport.totalInstructions(in: "version: 1\nevents: Ir\nfn=(1) main\n16 3\nsummary: 126481\ntotals: 126481\n") == 126_481)
        #expect(CallgrindReport.totalInstructions(in: "events: Ir\ntotals: 99 \n") == 99)
        #expect(CallgrindReport.totalInstructions(in: "events: Ir\nfn=(1) main\n") == nil)
        #expect(CallgrindReport.totalInstructions(in: "summary: lots\n") == nil)
    }

    @Test func perMessageIsTheDifferenceOverTheDifference() {
        // 10 M of start-up in both runs: 20,000 messages at 15,000 each plus start-up vs 10,000 messages.
        let long = (instructions: UInt64(10_000_000 + 20_000 * 15_000), messages: UInt64(20_000))
        let short = (instructions: UInt64(10_000_000 + 10_000 * 15_000), messages: UInt64(10_000))
        #expect(CallgrindReport.instructionsPerMessage(long: long, short: short) == 15_000)
        #expect(CallgrindReport.instructionsPerMessage(long: short, short: short) == nil)
    }

    @Test func topFunctionsSkipTheHeaderAndTotals() {
        let annotation = """
            --------------------------------------------------------------------------------
            Profile data file '/tmp/cg.out' (creator: callgrind-3.19.0)
            Timerange: Basic block 0 - 28912
            Thresholds:       99
            --------------------------------------------------------------------------------
            Ir               
            --------------------------------------------------------------------------------
            126,481 (100.0%)  PROGRAM TOTALS

            --------------------------------------------------------------------------------
            Ir               file:function
            --------------------------------------------------------------------------------
            21,172 (16.74%)  ./elf/./elf/dl-lookup.c:do_lookup_x [/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2]
             8,262 ( 6.53%)  ???:$s9FlexBench7SessionC8received_3nowySW_s6UInt64VtF [/tmp/flexbench-stripped]
               612 ( 0.48%)  ???:memcpy
            """
        let functions = CallgrindReport.topFunctions(inAnnotation: annotation, count: 2)
        #expect(functions == [
            CallgrindReport.Function(instructions: 21_172, name: "do_lookup_x"),
            CallgrindReport.Function(instructions: 8_262, name: "$s9FlexBench7SessionC8received_3nowySW_s6UInt64VtF"),
        ])
        #expect(CallgrindReport.topFunctions(inAnnotation: annotation, count: 10).last?.name == "memcpy")
        #expect(CallgrindReport.topFunctions(inAnnotation: "no listing here\n(1%)\n", count: 5).isEmpty)
    }
}

extension CallgrindReportTests {
    @Test func functionsPerMessageAreTheirOwnDifferences() {
        typealias F = CallgrindReport.Function
        // "setup" costs the same in both runs; "send" appears twice (two source files) in the long run.
        let long = [F(instructions: 9_000, name: "setup"), F(instructions: 4_000, name: "send"),
                    F(instructions: 2_000, name: "send"), F(instructions: 3_000, name: "receive")]
        let short = [F(instructions: 9_000, name: "setup"), F(instructions: 3_000, name: "send"),
                     F(instructions: 1_000, name: "receive")]
        let perMessage = CallgrindReport.perMessageFunctions(long: long, short: short, messages: 100)
        #expect(perMessage.map(\.name) == ["send", "receive"])
        #expect(perMessage.map(\.instructions) == [30, 20])
        #expect(CallgrindReport.perMessageFunctions(long: long, short: short, messages: 0).isEmpty)
    }
}
