import FlexNIC
import FlexPort
import FlexWire
import Testing

@Suite("FlexNIC on malformed frames")
struct MalformedInputTests {
    @Test("mutated and truncated real frames through every standard program: verdicts, never a trap")
    func mutatedFramesNeverTrap() throws {
        var random = SeededRandom(seed: 13)
        let seeds: [[UInt8]] = [
            try NICTestFrames.tcp(ports: (40_000, 80), payload: Array(repeating: 7, count: 40)),
            try NICTestFrames.memcachedUDP(opcode: 0, key: Array("key".utf8)),
            try NICTestFrames.dccp(ports: (41_000, UInt16(StandardPrograms.ackPort)), type: UInt8(StandardParseGraph.dccpData), sequence: 5),
            try NICTestFrames.tcp(ports: (40_000, UInt16(StandardParseGraph.nvmeTCPPort)), payload: [4, 0, 72, 0, 72, 0, 0, 0]),
        ]
        let pipelines = try StandardPrograms.descriptions.map { entry in
            try Pipeline(program: StandardPrograms.program(named: entry.name)!, queueCount: StandardPrograms.queueCount(named: entry.name))
        }
        for pipeline in pipelines { for queue in 0..<pipeline.queueCount { pipeline.setQueueRoom(queue, 1) } }
        var parseErrors = 0
        for round in 0..<4_000 {
            var frame = seeds[round % seeds.count]
            for _ in 0..<Int(random.next() % 4) { frame[Int(random.next() % UInt64(frame.count))] = UInt8(truncatingIfNeeded: random.next()) }
            frame = Array(frame.prefix(Int(random.next() % UInt64(frame.count + 1))))
            for pipeline in pipelines {
                var bytes = frame + [0]  // never an empty buffer to take the address of
                let verdict = bytes.withUnsafeMutableBytes { pipeline.process($0.baseAddress!, length: frame.count) }
                #expect(verdict.replyLength <= frame.count)
                if verdict.disposition == .exception(reason: PacketVerdict.parseErrorReason) { parseErrors += 1 }
            }
        }
        #expect(parseErrors > 0, "truncations produce parse errors")
    }
}
