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

    @Test("a reply's write-back writes no field past the reply's end: not past its length, not past the reply buffer")
    func replyWriteBackStaysInsideTheReply() throws {
        // Ethernet → IPv4 → UDP (port 7) → `pad` (2,002 bytes, field `mark` at frame byte 100) → `tail` (field `word` at frame
        // bytes 2,046…2,049, across the end of the 2,048-byte reply buffer). The reply ends after UDP (42 bytes).
        let graph = ParseGraph(start: "ethernet", headers: [
            HeaderDeclaration("ethernet", length: .fixed(14), fields: [FieldDeclaration("ether_type", at: 12, bytes: 2)],
                              transitions: [HeaderTransition(when: "ether_type", is: 0x0800, then: "ipv4")]),
            HeaderDeclaration("ipv4", length: .variable(field: "ihl", unitBytes: 4, minimum: 20, maximum: 60), fields: [
                FieldDeclaration("ihl", at: 0, bytes: 1, bits: 4), FieldDeclaration("protocol", at: 9, bytes: 1),
            ], transitions: [HeaderTransition(when: "protocol", is: 17, then: "udp")]),
            HeaderDeclaration("udp", length: .fixed(8), fields: [FieldDeclaration("destination_port", at: 2, bytes: 2)],
                              transitions: [HeaderTransition(when: "destination_port", is: 7, then: "pad")]),
            HeaderDeclaration("pad", length: .fixed(2_002), fields: [FieldDeclaration("ether_type", at: 0, bytes: 2),
                                                                    FieldDeclaration("mark", at: 58, bytes: 4)],
                              transitions: [HeaderTransition(when: "ether_type", is: 0, then: "tail")]),
            HeaderDeclaration("tail", length: .fixed(8), fields: [FieldDeclaration("word", at: 2, bytes: 4)]),
        ])
        let program = Program("overrun", parseGraph: graph, stages: [StageDeclaration("reply", .action(ActionDeclaration("reply", [
            .set("pad.mark", .constant(0xa5a5_a5a5)), .set("tail.word", .constant(0xa5a5_a5a5)), .reply(truncatingAfter: "udp"),
        ])))])
        let pipeline = try Pipeline(program: program)
        var frame = try NICTestFrames.udp(ports: (1_000, 7), payload: Array(repeating: 0, count: 2_010))
        #expect(frame.count == 2_052)
        let verdict = frame.withUnsafeMutableBytes { pipeline.process($0.baseAddress!, length: $0.count) }
        #expect(verdict.replyLength == 42)
        let buffer = Array(pipeline.reply(length: Pipeline.replyCapacity))
        #expect(buffer[100..<104].allSatisfy { $0 == 0 }, "a field past the reply's end is not written into the reply buffer")
        #expect(buffer[2_046..<2_048].allSatisfy { $0 == 0 }, "a field across the reply buffer's end is not written (nor past it)")
        #expect(frame[42...].allSatisfy { $0 == 0 }, "the received frame keeps its bytes: the reply is built in its own buffer")
    }
}
