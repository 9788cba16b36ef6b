import FlexNIC
import FlexWire
import Testing

@Suite("FlexNIC pipeline: parser, primitives, deparser")
struct PipelineTests {
    private func run(_ program: Program, _ frame: inout [UInt8], queues: Int = 0) throws -> (Pipeline, PacketVerdict) {
        let pipeline = try Pipeline(program: program, queueCount: queues)
        let verdict = frame.withUnsafeMutableBytes { pipeline.process($0.baseAddress!, length: $0.count) }
        return (pipeline, verdict)
    }

    private func action(_ primitives: [Primitive], metadata: [String] = [], registers: [RegisterArrayDeclaration] = []) -> Program {
        Program("test", metadata: metadata, registers: registers, stages: [StageDeclaration("s", .action(ActionDeclaration("a", primitives)))])
    }

    @Test("fields of every parsed header reach the field buffer, through a VLAN tag")
    func extractsFields() throws {
        var frame = try NICTestFrames.tcp(ports: (40_000, 80), sequence: 0xdead_beef, vlan: VLANTag(identifier: 42, priority: 5))
        let (pipeline, verdict) = try run(action([], metadata: []), &frame)
        #expect(verdict.disposition == .pass)
        _ = pipeline
        let program = action([.set("meta.a", "vlan.id"), .set("meta.b", "vlan.priority"), .set("meta.c", "tcp.sequence"),
                              .set("meta.d", "ipv4.ihl")], metadata: ["a", "b", "c", "d"])
        let (parsed, _) = try run(program, &frame)
        #expect(parsed.fieldValue("meta.a") == 42)
        #expect(parsed.fieldValue("meta.b") == 5)
        #expect(parsed.fieldValue("meta.c") == 0xdead_beef)
        #expect(parsed.fieldValue("meta.d") == 5)
        #expect(parsed.fieldValue("tcp.offset") == 18 + 20)
        #expect(parsed.fieldValue("udp.valid") == 0)
    }

    @Test("every declared field is reachable by its name, `length` too: `udp.length` and `object.length` are the fields, `udp.$length` and `object.$length` the header lengths")
    func declaredLengthFieldsKeepTheirNames() throws {
        // An object header on UDP port 9000: kind, flags, key, then a 32-bit length of 0x0102_0304.
        let object: [UInt8] = [0, 1, 0, 0, 0, 0, 0, 9, 1, 2, 3, 4] + Array(repeating: 0xaa, count: 5)
        var frame = try NICTestFrames.udp(ports: (5_000, UInt16(StandardParseGraph.objectPort)), payload: object)
        let program = action([.set("meta.a", "udp.length"), .set("meta.b", "object.length"), .set("meta.c", "udp.$length"),
                              .set("meta.d", "object.$length"), .set("meta.e", "object.offset"), .set("udp.length", 99)],
                             metadata: ["a", "b", "c", "d", "e"])
        let (pipeline, verdict) = try run(program, &frame)
        #expect(verdict.disposition == .pass)
        #expect(pipeline.fieldValue("meta.a") == UInt64(8 + object.count), "the UDP header's length field")
        #expect(pipeline.fieldValue("meta.b") == 0x0102_0304, "the object header's length field")
        #expect(pipeline.fieldValue("meta.c") == 8 && pipeline.fieldValue("meta.d") == 12, "the headers' own lengths")
        #expect(pipeline.fieldValue("meta.e") == 14 + 20 + 8, "names no field takes keep their plain form")
        #expect(frame[14 + 20 + 4] == 0 && frame[14 + 20 + 5] == 99, "a declared length field is writable")
        do throws(ValidationError) {
            try Validator().validate(action([.set("udp.$length", 1)]))
            Issue.record("the header's own length is read-only")
        } catch {
            #expect(error.rule == .readOnlyField)
        }
    }

    @Test("a truncated header or a variable length out of bounds is a parse error for the exception queue")
    func parseErrors() throws {
        var truncated = Array(try NICTestFrames.tcp(ports: (1, 2)).prefix(14 + 20 + 10))
        #expect(try run(action([]), &truncated).1.disposition == .exception(reason: PacketVerdict.parseErrorReason))
        var badIHL = try NICTestFrames.tcp(ports: (1, 2))
        badIHL[14] = 0x43
        #expect(try run(action([]), &badIHL).1.disposition == .exception(reason: PacketVerdict.parseErrorReason))
        var short: [UInt8] = [1, 2, 3]
        #expect(try run(action([]), &short).1.disposition == .exception(reason: PacketVerdict.parseErrorReason))
    }

    @Test("written fields go back into the packet, bit fields without touching their neighbours")
    func writesBack() throws {
        var frame = try NICTestFrames.tcp(ports: (40_000, 80))
        let original = frame
        _ = try run(action([.set("ipv4.dscp", 46), .binary(.add, "tcp.destination_port", "tcp.destination_port", 1)]), &frame)
        #expect(frame[15] == 46 << 2 | original[15] & 0x3)
        #expect(frame[14 + 20 + 2] == 0 && frame[14 + 20 + 3] == 81)
        var changed = original
        changed[15] = frame[15]
        changed[14 + 20 + 3] = 81
        #expect(frame == changed)
    }

    @Test("the NVMe/TCP PDU length is read little-endian and written back little-endian")
    func littleEndianField() throws {
        var pdu: [UInt8] = [0x04, 0, 24, 0, 0x78, 0x56, 0x34, 0x12] + [UInt8](repeating: 0, count: 16)
        var frame = try NICTestFrames.tcp(ports: (40_000, UInt16(StandardParseGraph.nvmeTCPPort)), payload: pdu)
        let (pipeline, _) = try run(action([.set("meta.l", "nvme_tcp.pdu_length"), .set("nvme_tcp.pdu_length", 0x0a0b_0c0d)],
                                          metadata: ["l"]), &frame)
        #expect(pipeline.fieldValue("meta.l") == 0x1234_5678)
        pdu[4...7] = [0x0d, 0x0c, 0x0b, 0x0a]
        #expect(Array(frame.suffix(24)) == pdu)
    }

    @Test("registers persist across packets; a dynamic index wraps into the array")
    func registersPersist() throws {
        let program = action([.registerAdd(array: "counts", index: "tcp.destination_port", value: 1, result: "meta.n")],
                             metadata: ["n"], registers: [RegisterArrayDeclaration("counts", size: 16)])
        let pipeline = try Pipeline(program: program)
        for port: UInt16 in [3, 19, 35] {
            var frame = try NICTestFrames.tcp(ports: (1, port))
            _ = frame.withUnsafeMutableBytes { pipeline.process($0.baseAddress!, length: $0.count) }
        }
        #expect(try pipeline.readRegister("counts", index: 3) == 3)
        #expect(pipeline.fieldValue("meta.n") == 3)
        #expect(throws: RegisterAccessError.indexOutOfBounds(array: "counts", index: 16)) { try pipeline.readRegister("counts", index: 16) }
    }

    @Test("longest-prefix and range tables pick the most specific entry")
    func longestPrefixAndRange() throws {
        let routes = Program("routes", stages: [
            StageDeclaration("lpm", .table(TableDeclaration("lpm", kind: .longestPrefix, keys: ["ipv4.destination"], size: 8,
                actions: [ActionDeclaration("to", parameters: 1, [.setQueue(.parameter(0))])], defaultAction: "to", defaultParameters: [9],
                entries: [TableEntry(key: [0xC612_0000], qualifier: [16], action: "to", parameters: [1]),
                          TableEntry(key: [0xC612_0000], qualifier: [24], action: "to", parameters: [2])]))),
            StageDeclaration("ports", .table(TableDeclaration("ports", kind: .range, keys: ["tcp.destination_port"], size: 8,
                actions: [ActionDeclaration("mark", parameters: 1, [.set(Metadata.descriptor, .parameter(0))]), ActionDeclaration("none", [])],
                defaultAction: "none",
                entries: [TableEntry(key: [1_000], qualifier: [1_999], priority: 1, action: "mark", parameters: [7])]))),
        ])
        var inside = try NICTestFrames.tcp(to: IPv4Address(198, 18, 0, 9), ports: (1, 1_500))
        var wider = try NICTestFrames.tcp(to: IPv4Address(198, 18, 5, 9), ports: (1, 2_000))
        var outside = try NICTestFrames.tcp(to: IPv4Address(10, 0, 0, 1), ports: (1, 80))
        #expect(try run(routes, &inside).1 == PacketVerdict(disposition: .queue(2), replyLength: 0, descriptor: 7, bucket: 0, tokens: 0))
        #expect(try run(routes, &wider).1.disposition == .queue(1))
        #expect(try run(routes, &wider).1.descriptor == 0)
        #expect(try run(routes, &outside).1.disposition == .queue(9))
    }

    @Test("DMA requests copy packet bytes into host memory; out-of-range requests are refused and counted")
    func dmaRequests() throws {
        let program = action([
            .dma(DMARequest(packetOffset: "tcp.offset", length: 20, direction: .toHost, hostAddress: 64)),
            .dma(DMARequest(packetOffset: 0, length: 16, direction: .toHost, hostAddress: 250)),
            .setQueue(0),
        ])
        let host = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 8)
        defer { host.deallocate() }
        host.initializeMemory(as: UInt8.self, repeating: 0)
        let harness = try NICTestHarness(program, queueCount: 1)
        harness.nic.hostMemory = host
        let frame = try NICTestFrames.tcp(ports: (40_000, 80))
        _ = harness.deliver([frame])
        #expect(Array(host[64..<84]) == Array(frame[34..<54]))
        #expect(harness.nic.nicStatistics.dmaCompleted == 1)
        #expect(harness.nic.nicStatistics.dmaRejected == 1)
    }

    @Test("a stage guard runs its stage exactly when its comparison holds, for each comparison")
    func guardsFollowTheirComparison() throws {
        var frame = try NICTestFrames.tcp(ports: (40_000, 80))  // window 512
        let comparisons: [(Comparison, (UInt64, UInt64) -> Bool)] = [(.equal, ==), (.notEqual, !=), (.less, <), (.lessOrEqual, <=),
                                                                      (.greater, >), (.greaterOrEqual, >=)]
        for (comparison, holds) in comparisons {
            for constant: UInt64 in [511, 512, 513] {
                let program = Program("guard", metadata: ["hit"], stages: [
                    StageDeclaration("guarded", when: StageCondition("tcp.window", comparison, .constant(constant)),
                                     .action(ActionDeclaration("hit", [.set("meta.hit", 1)]))),
                ])
                let pipeline = try Pipeline(program: program)
                _ = frame.withUnsafeMutableBytes { pipeline.process($0.baseAddress!, length: $0.count) }
                #expect(pipeline.fieldValue("meta.hit") == (holds(512, constant) ? 1 : 0), "512 \(comparison.rawValue) \(constant)")
            }
        }
    }

    @Test("a DMA length a program computed below zero (it wraps to 2^64 - 1) is refused and counted, never a trap")
    func dmaLengthBelowZero() throws {
        let program = Program("wrap", metadata: ["length"], stages: [StageDeclaration("dma", .action(ActionDeclaration("dma", [
            .binary(.subtract, "meta.length", 0, 1),
            .dma(DMARequest(packetOffset: 0, length: "meta.length", direction: .toHost, hostAddress: 0)),
        ])))])
        let host = UnsafeMutableRawBufferPointer.allocate(byteCount: 256, alignment: 8)
        defer { host.deallocate() }
        host.initializeMemory(as: UInt8.self, repeating: 0)
        let harness = try NICTestHarness(program, queueCount: 0)
        harness.nic.hostMemory = host
        #expect(harness.deliver([try NICTestFrames.tcp(ports: (40_000, 80))]).count == 1)
        #expect(harness.nic.nicStatistics.dmaRejected == 1 && harness.nic.nicStatistics.dmaCompleted == 0)
        #expect(host.allSatisfy { $0 == 0 })
    }
}
