import FlexNIC
import Testing

@Suite("FlexNIC back-pressure: counted drops, refusals and delays, never corruption")
struct BackPressureTests {
    @Test("a full software queue drops and counts; the queued frames stay intact")
    func fullQueueDrops() throws {
        let harness = try NICTestHarness(Multiplexing.memcachedByOpcode(queues: [0: 0]), queueCount: 1, queueCapacity: 8)
        let frames = try (0..<20).map { try NICTestFrames.memcachedUDP(opcode: 0, key: Array("key-\($0)".utf8)) }
        #expect(harness.deliver(frames).isEmpty)
        #expect(harness.nic.nicStatistics.queueFullDrops == 12)
        #expect(harness.nic.nicStatistics.delivered == [8])
        #expect(harness.drain(queue: 0).map(\.bytes) == Array(frames.prefix(8)))
        // Room again: the next frames are delivered.
        #expect(harness.deliver(Array(frames.suffix(2))).isEmpty)
        #expect(harness.drain(queue: 0).map(\.bytes) == Array(frames.suffix(2)))
    }

    @Test("a full exception queue drops and counts; parse errors land there with their reason")
    func fullExceptionQueue() throws {
        let harness = try NICTestHarness(Program("none", stages: []), queueCount: 0, exceptionCapacity: 2)
        let garbage: [[UInt8]] = (0..<5).map { [UInt8](repeating: UInt8($0), count: 10) }  // shorter than Ethernet
        #expect(harness.deliver(garbage).isEmpty)
        #expect(harness.nic.nicStatistics.exceptionsByReason[Int(PacketVerdict.parseErrorReason)] == 5)
        #expect(harness.nic.nicStatistics.exceptionQueueFullDrops == 3)
        #expect(harness.nic.exceptionQueue.dequeueCopy()?.bytes == garbage[0])
        #expect(harness.nic.exceptionQueue.dequeueCopy()?.bytes == garbage[1])
    }

    @Test("the interconnect drops network packets, refuses doorbells and delays the QM when reservations run out")
    func interconnectAdmission() {
        let receiveAndDMA = PipelineKind.receive.bit | PipelineKind.dma.bit | PipelineKind.transmit.bit
        let interconnect = Interconnect(capacity: [2, 4, 1, 3],
                                        initialReservations: [receiveAndDMA, PipelineKind.doorbell.bit | PipelineKind.dma.bit,
                                                              PipelineKind.dma.bit | PipelineKind.transmit.bit])
        var admitted: [Interconnect.Ticket] = []
        for _ in 0..<3 {
            if case .admitted(let ticket) = interconnect.admit(from: .network, to: .receive) { admitted.append(ticket) }
        }
        #expect(admitted.count == 2)
        #expect(interconnect.networkDrops == 1)
        #expect(interconnect.admit(from: .doorbell, to: .doorbell) != .refused)
        #expect(interconnect.admit(from: .doorbell, to: .doorbell) == .refused, "the doorbell pipeline has one slot")
        #expect(interconnect.doorbellRefusals == 1)
        #expect(interconnect.admit(from: .queueManager, to: .dma) == .delayed, "the DMA pipeline's 3 slots are all reserved")
        #expect(interconnect.queueManagerDelays == 1)
        // Admitted packets always find their reserved slot further on, and release it when done.
        while let ticket = interconnect.next(at: .receive) {
            let atDMA = interconnect.forward(ticket, to: .dma, stillReachable: 0)
            #expect(atDMA.reservations == PipelineKind.dma.bit)
        }
        #expect(interconnect.reserved == [0, 0, 1, 3])
        #expect(interconnect.queued(at: .dma) == 2)
        while let ticket = interconnect.next(at: .dma) { interconnect.finish(ticket) }
        #expect(interconnect.reserved == [0, 0, 1, 1])
        if case .admitted = interconnect.admit(from: .queueManager, to: .dma) {} else { Issue.record("room again after release") }
    }

    @Test("the queue manager drains unlimited buckets round robin by quantum and limited ones at their rate")
    func queueManagerDrains() {
        let qm = QueueManagerModel()
        let first = qm.addBucket(tokensPerSecond: nil, quantum: 1_500)
        let second = qm.addBucket(tokensPerSecond: nil, quantum: 1_500)
        qm.fill(first, tokens: 3_000)
        qm.fill(second, tokens: 1_000)
        var packets: [QueueManagerModel.TokenPacket] = []
        _ = qm.drain(at: 0, maximumPackets: 10) { packets.append($0); return true }
        #expect(packets == [.init(bucket: 0, tokens: 1_500), .init(bucket: 1, tokens: 1_000), .init(bucket: 0, tokens: 1_500)])

        let limited = qm.addBucket(tokensPerSecond: 1_000, quantum: 100)
        qm.fill(limited, tokens: 1_000)
        var drained: UInt64 = 0
        for millisecond in stride(from: UInt64(0), through: 500, by: 10) {
            _ = qm.drain(at: millisecond * 1_000_000, maximumPackets: 10) { drained += $0.tokens; return true }
        }
        #expect(drained == 500, "1000 tokens/s for 0.5 s")
        #expect(qm.level(limited) == 500)
    }

    @Test("a refused token packet keeps its tokens in the bucket (the QM delays)")
    func queueManagerDelaysOnBackPressure() {
        let qm = QueueManagerModel()
        let bucket = qm.addBucket(tokensPerSecond: nil, quantum: 64)
        qm.fill(bucket, tokens: 100)
        #expect(qm.drain(at: 0, maximumPackets: 4) { _ in false } == 0)
        #expect(qm.level(bucket) == 100)
        #expect(qm.delays == 1)
        var tokens: [UInt64] = []
        #expect(qm.drain(at: 1, maximumPackets: 4) { tokens.append($0.tokens); return true } == 2)
        #expect(tokens == [64, 36])
    }
}

@Suite("FlexNIC receive program feeding the queue manager")
struct QueueManagerFeedTests {
    @Test("setBucket adds the packet's tokens to its bucket; the QM drains them by quantum")
    func programFillsBuckets() throws {
        let program = Program("qm", stages: [
            StageDeclaration("bucket", when: StageCondition("tcp.valid", .equal, 1), .action(ActionDeclaration("fill", [
                .setBucket(.constant(0), tokens: "packet.length"), .setQueue(0),
            ]))),
        ])
        let harness = try NICTestHarness(program, queueCount: 1)
        let queueManager = QueueManagerModel()
        _ = queueManager.addBucket(tokensPerSecond: nil, quantum: 100)
        harness.nic.queueManager = queueManager
        let frame = try NICTestFrames.tcp(ports: (1, 2), payload: Array(repeating: 1, count: 100))
        _ = harness.deliver([frame, frame])
        #expect(queueManager.level(0) == UInt64(2 * frame.count))
        var drained: [UInt64] = []
        _ = queueManager.drain(at: 0, maximumPackets: 10) { drained.append($0.tokens); return true }
        #expect(drained.reduce(0, +) == UInt64(2 * frame.count))
        #expect(drained.allSatisfy { $0 <= 100 })
    }
}
