import FlexNIC
import FlexPort
import FlexWire
import Testing

@Suite("FlexNIC host interface: programs on the doorbell and DMA pipelines")
struct HostInterfaceProgramTests {
    private static func frames(_ count: Int, firstPort: UInt16) throws -> [[UInt8]] {
        try (0..<count).map { try NICTestFrames.udp(ports: (firstPort + UInt16($0), 9), payload: Array(repeating: UInt8($0), count: 20)) }
    }

    private static func post(_ frame: [UInt8], to ring: DescriptorRing, value: UInt32 = 0) -> Bool {
        frame.withUnsafeBytes { ring.enqueue($0.baseAddress!, length: $0.count, descriptor: value) }
    }

    /// Rings whose `doorbell.ring` has an entry in table `enabled` get one token per new descriptor; others are ignored.
    private static func enablingDoorbells() -> Program {
        Program("enabled-rings", pipeline: .doorbell, parseGraph: HostInterfacePrograms.doorbellGraph, stages: [
            StageDeclaration("enabled", .table(TableDeclaration(
                "enabled", kind: .exact, keys: ["doorbell.ring"], size: 8,
                actions: [ActionDeclaration("fill", [.setBucket("doorbell.ring", tokens: "doorbell.descriptors")]),
                          ActionDeclaration("ignore", [.drop(reason: 1)])],
                defaultAction: "ignore", entries: [TableEntry(key: [0], action: "fill")]))),
        ])
    }

    @Test("a doorbell program decides the tokens: an ignored doorbell's descriptors go out with the ring's next doorbell once the control plane enables it")
    func doorbellProgramControlsTokens() throws {
        let wire = try MemoryWire()
        let doorbells = try Pipeline(program: Self.enablingDoorbells())
        let nic = NICPort(wrapping: wire.a, receiveProgram: nil, queueCount: 0, transmitQueueCount: 2, transmitQueueCapacity: 8,
                          doorbellProgram: doorbells)
        let rings = nic.hostInterface.transmitRings
        let first = try Self.frames(2, firstPort: 1_000), second = try Self.frames(3, firstPort: 2_000)
        for frame in first { #expect(Self.post(frame, to: rings[0])) }
        for frame in second { #expect(Self.post(frame, to: rings[1])) }
        #expect(nic.ringDoorbell(transmitQueue: 0, tail: 2) && nic.ringDoorbell(transmitQueue: 1, tail: 3))
        #expect(nic.serviceTransmitRings(at: 0) == 2)
        #expect(wire.b.receiveCopies() == first)
        #expect(nic.hostInterface.statistics.doorbellsIgnored == 1 && nic.hostInterface.queueManager.level(1) == 0)
        try doorbells.insertEntry(table: "enabled", key: [1], action: "fill")
        #expect(nic.ringDoorbell(transmitQueue: 1, tail: 3))
        #expect(nic.serviceTransmitRings(at: 1) == 3)
        #expect(wire.b.receiveCopies() == second)
        #expect(nic.hostInterface.statistics.doorbellsAccepted == 2)
    }

    @Test("a doorbell program naming a bucket that does not exist is counted as invalid and fills nothing")
    func doorbellToMissingBucket() throws {
        let wire = try MemoryWire()
        let program = Program("far", pipeline: .doorbell, parseGraph: HostInterfacePrograms.doorbellGraph, stages: [
            StageDeclaration("tokens", .action(ActionDeclaration("fill", [.setBucket(5, tokens: "doorbell.descriptors")]))),
        ])
        let nic = NICPort(wrapping: wire.a, receiveProgram: nil, queueCount: 0, transmitQueueCount: 1, doorbellProgram: try Pipeline(program: program))
        let ring = nic.hostInterface.transmitRings[0]
        #expect(Self.post(try Self.frames(1, firstPort: 1_000)[0], to: ring))
        #expect(nic.ringDoorbell(transmitQueue: 0, tail: 1))
        #expect(nic.serviceTransmitRings(at: 0) == 0)
        #expect(nic.hostInterface.statistics.doorbellsInvalid == 1 && wire.b.receiveCopies().isEmpty)
    }

    /// Ethernet header from a template in host memory (register `template` holds its address), the
    /// rest from the descriptor's buffer; descriptors whose host word is 7 are withheld.
    private static func templatedDMA() -> Program {
        Program("template", pipeline: .dma, parseGraph: HostInterfacePrograms.descriptorGraph, metadata: ["template", "rest", "payload"],
                registers: [RegisterArrayDeclaration("template", size: 1)], stages: [
            StageDeclaration("withhold", when: StageCondition("descriptor.value", .equal, 7),
                             .action(ActionDeclaration("withhold", [.drop(reason: 3)]))),
            StageDeclaration("fetch", .action(ActionDeclaration("fetch", [
                .registerRead("meta.template", array: "template", index: 0),
                .binary(.subtract, "meta.rest", "descriptor.bytes", 14),
                .binary(.add, "meta.payload", "descriptor.buffer", 14),
                .dma(DMARequest(packetOffset: 0, length: 14, direction: .fromHost, hostAddress: "meta.template")),
                .dma(DMARequest(packetOffset: 14, length: "meta.rest", direction: .fromHost, hostAddress: "meta.payload")),
            ]))),
        ])
    }

    @Test("a DMA program assembles each frame from two host reads (a header template and the descriptor's buffer) and withholds descriptors it drops")
    func dmaProgramAssemblesFrames() throws {
        let wire = try MemoryWire()
        let dma = try Pipeline(program: Self.templatedDMA())
        let nic = NICPort(wrapping: wire.a, receiveProgram: nil, queueCount: 1, queueCapacity: 1, transmitQueueCount: 1,
                          postsReceiveBuffers: false, dmaProgram: dma)
        // The template lives in host memory the host owns: the receive buffer area (no buffers posted).
        let template = nic.hostInterface.receiveBufferArea.lowerBound
        let ethernet = EthernetRepr(destination: MACAddress(0x02, 0, 0, 0, 0, 0x77), source: MACAddress(0x02, 0, 0, 0, 0, 0x66), etherType: .ipv4)
        var header = [UInt8](repeating: 0, count: 14)
        #expect(try header.withUnsafeMutableBytes { try ethernet.emit(into: $0) } == 14)
        header.withUnsafeBytes { (nic.hostInterface.region.base + template).copyMemory(from: $0.baseAddress!, byteCount: 14) }
        try dma.writeRegister("template", index: 0, value: UInt64(template))
        let ring = nic.hostInterface.transmitRings[0]
        let frames = try Self.frames(3, firstPort: 3_000)
        #expect(Self.post(frames[0], to: ring) && Self.post(frames[1], to: ring, value: 7) && Self.post(frames[2], to: ring))
        #expect(nic.ringDoorbell(transmitQueue: 0, tail: 3))
        #expect(nic.serviceTransmitRings(at: 0) == 2)
        #expect(wire.b.receiveCopies() == [header + frames[0].dropFirst(14), header + frames[2].dropFirst(14)])
        #expect(nic.hostInterface.statistics.dmaWithheld == 1 && ring.isEmpty)
        // A template address outside the region is refused: the descriptor is consumed, nothing is sent.
        try dma.writeRegister("template", index: 0, value: UInt64(nic.hostInterface.region.size))
        #expect(Self.post(frames[0], to: ring))
        #expect(nic.ringDoorbell(transmitQueue: 0, tail: 4))
        #expect(nic.serviceTransmitRings(at: 1) == 0)
        #expect(nic.hostInterface.statistics.dmaRejected == 1 && nic.hostInterface.statistics.dmaWithheld == 2 && ring.isEmpty)
        #expect(wire.b.receiveCopies().isEmpty)
    }

    /// A program for `pipeline` that passes every packet and adds one to register `seen[0]`.
    private static func counting(_ pipeline: PipelineKind, graph: ParseGraph, then primitives: [Primitive] = []) -> Program {
        Program("count", pipeline: pipeline, parseGraph: graph, registers: [RegisterArrayDeclaration("seen", size: 1)], stages: [
            StageDeclaration("count", .action(ActionDeclaration("count", [.registerAdd(array: "seen", index: 0, value: 1, result: nil)] + primitives))),
        ])
    }

    @Test("a descriptor waiting for a transmit slot keeps its frame: the DMA and transmit programs run once per descriptor, however often it waits")
    func waitingDescriptorRunsProgramsOnce() throws {
        let wire = try MemoryWire(capacity: 2)
        let read = DMARequest(packetOffset: 0, length: "descriptor.bytes", direction: .fromHost, hostAddress: "descriptor.buffer")
        let dma = try Pipeline(program: Self.counting(.dma, graph: HostInterfacePrograms.descriptorGraph, then: [.dma(read)]))
        let transmit = try Pipeline(program: Self.counting(.transmit, graph: StandardParseGraph.graph))
        let nic = NICPort(wrapping: wire.a, receiveProgram: nil, transmitProgram: transmit, queueCount: 0, transmitQueueCount: 2,
                          transmitQueueCapacity: 8, dmaProgram: dma)
        let rings = nic.hostInterface.transmitRings
        let first = try Self.frames(3, firstPort: 1_000), second = try Self.frames(3, firstPort: 2_000)
        for frame in first { #expect(Self.post(frame, to: rings[0])) }
        for frame in second { #expect(Self.post(frame, to: rings[1])) }
        #expect(nic.ringDoorbell(transmitQueue: 0, tail: 3) && nic.ringDoorbell(transmitQueue: 1, tail: 3))
        var received: [[UInt8]] = []
        var clock: UInt64 = 0
        for _ in 0..<6 {
            // The wire holds two frames; before the far side reads, the waiting descriptors retry three times.
            clock += 1
            #expect(nic.serviceTransmitRings(at: clock) == 2)
            for _ in 1...3 {
                clock += 1
                #expect(nic.serviceTransmitRings(at: clock) == 0)
            }
            received += wire.b.receiveCopies()
            if received.count == 6 { break }
        }
        #expect(received == [first[0], second[0], first[1], second[1], first[2], second[2]])
        #expect(nic.hostInterface.statistics.transmitSlotDelays > 0, "descriptors did wait for the wire")
        #expect(try dma.readRegister("seen", index: 0) == 6, "the DMA program ran once per descriptor")
        #expect(try transmit.readRegister("seen", index: 0) == 6, "the transmit program ran once per descriptor")
        #expect(nic.hostInterface.statistics.descriptorsTransmitted == 6 && rings.allSatisfy(\.isEmpty))
    }

    @Test("the validator keeps each pipeline to its own primitives and names stage, action and rule")
    func validatorRulesPerPipeline() throws {
        func rejection(_ program: Program) -> ValidationError? {
            do throws(ValidationError) {
                try Validator().validate(program)
                return nil
            } catch {
                return error
            }
        }
        func doorbell(_ primitives: [Primitive]) -> Program {
            Program("d", pipeline: .doorbell, parseGraph: HostInterfacePrograms.doorbellGraph,
                    stages: [StageDeclaration("tokens", .action(ActionDeclaration("fill", primitives)))])
        }
        func dma(_ primitives: [Primitive]) -> Program {
            Program("m", pipeline: .dma, parseGraph: HostInterfacePrograms.descriptorGraph,
                    stages: [StageDeclaration("fetch", .action(ActionDeclaration("read", primitives)))])
        }
        let read = DMARequest(packetOffset: 0, length: "descriptor.bytes", direction: .fromHost, hostAddress: "descriptor.buffer")
        #expect(rejection(HostInterfacePrograms.doorbell()) == nil && rejection(HostInterfacePrograms.dma()) == nil)
        #expect(ProgramPrinter.render(HostInterfacePrograms.dma()).hasPrefix("program dma (dma pipeline)\n"))
        let reply = try #require(rejection(doorbell([.reply(truncatingAfter: "doorbell")])))
        #expect(reply.rule == .notOnThisPipeline && reply.stage == "tokens" && reply.action == "fill")
        #expect(reply.description.contains("doorbell pipeline"))
        let doorbellDMA = DMARequest(packetOffset: 0, length: 4, direction: .fromHost, hostAddress: 0)
        #expect(rejection(doorbell([.dma(doorbellDMA)]))?.rule == .notOnThisPipeline)
        var write = read
        write.direction = .toHost
        let toHost = try #require(rejection(dma([.dma(write)])))
        #expect(toHost.rule == .notOnThisPipeline && toHost.stage == "fetch" && toHost.action == "read")
        let tooMany = try #require(rejection(dma(Array(repeating: .dma(read), count: 5))))
        #expect(tooMany.rule == .tooManyDMARequests && tooMany.stage == "fetch" && tooMany.action == "read")
        let loop = try #require(rejection(dma([.goToStage("fetch")])))
        #expect(loop.rule == .noLoops)
        #expect(rejection(dma([.reply(truncatingAfter: "descriptor")]))?.rule == .notOnThisPipeline)
    }
}
