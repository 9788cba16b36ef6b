import FlexNIC
import Testing

@Suite("FlexNIC validator")
struct ValidatorTests {
    private func stage(_ name: String, _ primitives: [Primitive]) -> StageDeclaration {
        StageDeclaration(name, .action(ActionDeclaration("act", primitives)))
    }

    private func rejection(_ program: Program, limits: NICLimits = NICLimits()) -> ValidationError? {
        do throws(ValidationError) {
            try Validator(limits: limits).validate(program)
            return nil
        } catch {
            return error
        }
    }

    @Test("every standard program passes")
    func standardProgramsPass() throws {
        for (name, _) in StandardPrograms.descriptions {
            let program = try #require(StandardPrograms.program(named: name))
            #expect(rejection(program) == nil, "\(name)")
        }
    }

    @Test("a jump back to an earlier stage (a loop) is rejected")
    func rejectsLoop() throws {
        let program = Program("loop", metadata: ["n"], stages: [
            stage("first", [.binary(.add, "meta.n", "meta.n", 1)]),
            stage("second", [.goToStage("first")]),
        ])
        let error = try #require(rejection(program))
        #expect(error.rule == .noLoops)
        #expect(error.stage == "second" && error.action == "act")
        #expect(error.description == "stage 'second', action 'act': violates rule 'no loops (a jump must go to a later stage)': jumps back to stage 'first'")
        let selfJump = Program("self", stages: [stage("only", [.goToStage("only")])])
        #expect(rejection(selfJump)?.rule == .noLoops)
    }

    @Test("division and multiplication are rejected")
    func rejectsDivisionAndMultiplication() throws {
        for operation in [BinaryOperation.divide, .multiply, .remainder] {
            let program = Program("math", metadata: ["x"], stages: [stage("compute", [.binary(operation, "meta.x", "tcp.window", 3)])])
            let error = try #require(rejection(program))
            #expect(error.rule == .noMultiplicationOrDivision)
            #expect(error.stage == "compute")
            #expect(error.description.contains("'\(operation.rawValue)'"))
        }
    }

    @Test("more stages than the NIC has are rejected, naming the first stage beyond the limit")
    func rejectsTooManyStages() throws {
        var limits = NICLimits()
        limits.maximumStages = 4
        let program = Program("long", stages: (0..<5).map { stage("s\($0)", []) })
        let error = try #require(rejection(program, limits: limits))
        #expect(error.rule == .tooManyStages)
        #expect(error.stage == "s4")
        #expect(rejection(Program("fits", stages: (0..<4).map { stage("s\($0)", []) }), limits: limits) == nil)
    }

    @Test("a table write from the data path is rejected")
    func rejectsTableWrite() throws {
        let program = Program("learn", stages: [
            StageDeclaration("learn", .table(TableDeclaration(
                "flows", kind: .exact, keys: ["tcp.source_port"], size: 16,
                actions: [ActionDeclaration("learn", [.tableWrite(table: "flows", key: ["tcp.source_port"], action: "learn")])],
                defaultAction: "learn"))),
        ])
        let error = try #require(rejection(program))
        #expect(error.rule == .noTableWrites)
        #expect(error.stage == "learn" && error.action == "learn")
    }

    @Test("more than 4 DMA requests on one packet's path are rejected")
    func rejectsTooManyDMARequests() throws {
        let request = DMARequest(packetOffset: 0, length: 64, direction: .toHost, hostAddress: 0)
        let threeAndTwo = Program("dma", stages: [stage("header", Array(repeating: .dma(request), count: 3)),
                                                  stage("payload", Array(repeating: .dma(request), count: 2))])
        let error = try #require(rejection(threeAndTwo))
        #expect(error.rule == .tooManyDMARequests)
        #expect(error.stage == "payload")
        let four = Program("dma", stages: [stage("all", Array(repeating: .dma(request), count: 4))])
        #expect(rejection(four) == nil)
    }

    @Test("a constant register index beyond its array is rejected; arrays must be powers of two")
    func rejectsRegisterOutOfBounds() throws {
        let registers = [RegisterArrayDeclaration("state", size: 8)]
        let outside = Program("state", registers: registers, stages: [
            stage("update", [.registerWrite(array: "state", index: 8, value: 1)]),
        ])
        let error = try #require(rejection(outside))
        #expect(error.rule == .registerIndexOutOfBounds)
        #expect(error.description.contains("index 8 into 'state' of 8 registers"))
        let inside = Program("state", registers: registers, stages: [stage("update", [.registerWrite(array: "state", index: 7, value: 1)])])
        #expect(rejection(inside) == nil)
        let odd = Program("odd", registers: [RegisterArrayDeclaration("state", size: 6)], stages: [])
        #expect(rejection(odd)?.rule == .registerMemory)
    }

    @Test("unknown names, read-only fields and bad hash inputs are rejected")
    func rejectsBadReferences() throws {
        #expect(rejection(Program("typo", stages: [stage("s", [.set("tcp.windw", 1)])]))?.rule == .unknownName)
        #expect(rejection(Program("ro", stages: [stage("s", [.set("tcp.offset", 1)])]))?.rule == .readOnlyField)
        let asymmetric = Program("hash", metadata: ["h"], stages: [
            stage("s", [.hashFields(.symmetricToeplitz, "meta.h", fields: ["ipv4.source", "ipv4.destination"])]),
        ])
        #expect(rejection(asymmetric)?.rule == .hashShape)
        #expect(rejection(Program("p", stages: [stage("s", [.setQueue(.parameter(0))])]))?.rule == .parameterOutOfRange)
    }

    @Test("a cyclic parse graph is rejected")
    func rejectsParseGraphCycle() throws {
        var graph = StandardParseGraph.graph
        let index = try #require(graph.headers.firstIndex { $0.name == "vlan" })
        graph.headers[index].transitions.append(HeaderTransition(when: "ether_type", is: 0x8100, then: "vlan"))
        #expect(rejection(Program("qinq", parseGraph: graph, stages: []))?.rule == .parseGraph)
    }

    @Test("more than 64 packet fields are rejected even when the limits allow more: written fields are marked in a 64-bit mask")
    func rejectsMoreThan64PacketFields() throws {
        var limits = NICLimits()
        limits.maximumPacketFields = 100
        limits.maximumPrimitivesPerAction = 100
        func program(fields: Int) -> Program {
            let graph = ParseGraph(start: "wide", headers: [
                HeaderDeclaration("wide", length: .fixed(fields), fields: (0..<fields).map { FieldDeclaration("f\($0)", at: $0, bytes: 1) }),
            ])
            return Program("wide", parseGraph: graph, stages: [stage("s", (0..<fields).map { .set("wide.f\($0)", .constant(1)) })])
        }
        let error = try #require(rejection(program(fields: 65), limits: limits))
        #expect(error.rule == .tooManyFields)
        #expect(error.detail.contains("at most 64"), "the message names the ceiling: \(error.detail)")
        #expect(rejection(program(fields: 64), limits: limits) == nil)
    }
}
