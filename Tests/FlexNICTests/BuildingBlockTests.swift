import FlexNIC
import FlexPort
import FlexWire
import Testing

@Suite("FlexNIC building blocks on real frames")
struct BuildingBlockTests {
    @Test("multiplexing: memcached requests land on the queue of their opcode, others pass")
    func multiplexesByOpcode() throws {
        let harness = try NICTestHarness(StandardPrograms.program(named: "memcached-mux")!, queueCount: 2)
        let get = try NICTestFrames.memcachedUDP(opcode: 0x00, key: Array("alpha".utf8))
        let set = try NICTestFrames.memcachedUDP(opcode: 0x01, key: Array("beta".utf8))
        let other = try NICTestFrames.udp(ports: (1, 2), payload: [1, 2, 3])
        let passed = harness.deliver([get, set, other, get])
        #expect(passed == [other])
        #expect(harness.drain(queue: 0).map(\.bytes) == [get, get])
        #expect(harness.drain(queue: 1).map(\.bytes) == [set])
        #expect(harness.nic.nicStatistics.delivered == [2, 1])
    }

    @Test("multiplexing: a table entry added while traffic runs takes effect on the next packet")
    func controlPlaneUpdatesWhileRunning() throws {
        let harness = try NICTestHarness(StandardPrograms.program(named: "memcached-mux")!, queueCount: 2)
        let delete = try NICTestFrames.memcachedUDP(opcode: 0x04, key: Array("k".utf8))
        #expect(harness.deliver([delete]).count == 1)
        try harness.program.insertEntry(table: "mux", key: [0x04], action: "to_queue", parameters: [1])
        #expect(harness.deliver([delete]).isEmpty)
        #expect(harness.drain(queue: 1).count == 1)
        try harness.program.removeEntry(table: "mux", key: [0x04])
        #expect(harness.deliver([delete]).count == 1)
    }

    @Test("transmit demultiplexing withholds frames from unknown senders")
    func transmitDemultiplexing() throws {
        let wire = try MemoryWire()
        let transmit = try Pipeline(program: Multiplexing.transmitBySourcePort())
        try transmit.insertEntry(table: "senders", key: [7], action: "send")
        let nic = NICPort(wrapping: wire.a, receiveProgram: nil, transmitProgram: transmit, queueCount: 0)
        #expect(nic.transmit(try NICTestFrames.udp(ports: (7, 9))))
        #expect(!nic.transmit(try NICTestFrames.udp(ports: (8, 9))))
        #expect(wire.b.receiveCopies().count == 1)
        #expect(nic.nicStatistics.transmitWithheld == 1)
        #expect(nic.nicStatistics.droppedByReason[2] == 1)
    }

    @Test("hash relay: the descriptor carries the RSS Toeplitz hash of the 4-tuple (RSS verification vector)")
    func toeplitzRelayMatchesReference() throws {
        // Microsoft RSS verification suite: 66.9.149.187:2794 → 161.142.100.80:1766 hashes to 0x51ccc178.
        let source = IPv4Address(66, 9, 149, 187), destination = IPv4Address(161, 142, 100, 80)
        let frame = try NICTestFrames.tcp(from: source, to: destination, ports: (2794, 1766))
        let harness = try NICTestHarness(HashRelay.flowHash(.toeplitz), queueCount: 0)
        let pipeline = harness.program
        var bytes = frame
        let verdict = bytes.withUnsafeMutableBytes { pipeline.process($0.baseAddress!, length: $0.count) }
        #expect(verdict.descriptor == 0x51cc_c178)
        let input: [UInt8] = [66, 9, 149, 187, 161, 142, 100, 80, 0x0a, 0xea, 0x06, 0xe6]
        #expect(Toeplitz.referenceHash(input) == 0x51cc_c178)
        #expect(bytes == frame, "relaying into the descriptor leaves the packet alone")
    }

    @Test("hash relay: CRC32C of the memcached key in the opaque field equals FlexWire's CRC32C")
    func keyHashRelayMatchesCRC32C() throws {
        let key = Array("user:4711:profile".utf8)
        let harness = try NICTestHarness(HashRelay.memcachedKeyHash(), queueCount: 0)
        let frame = try NICTestFrames.memcachedUDP(opcode: 0x00, key: key)
        let passed = harness.deliver([frame])
        try #require(passed.count == 1)
        let opaqueOffset = 14 + 20 + 8 + 8 + 12
        let opaque = passed[0][opaqueOffset..<opaqueOffset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        #expect(opaque == CRC32C.checksum(key))
        var expected = frame
        for index in 0..<4 { expected[opaqueOffset + index] = UInt8(truncatingIfNeeded: opaque >> UInt32(24 - 8 * index)) }
        #expect(passed[0] == expected, "only the opaque field changed")
    }

    @Test("filtering: denied packets are dropped and counted, matching sources diverted to the exception queue")
    func filters() throws {
        let harness = try NICTestHarness(StandardPrograms.program(named: "filter")!, queueCount: 0)
        let denied = try NICTestFrames.udp(from: IPv4Address(10, 0, 0, 1), ports: (5, 9))
        let diverted = try NICTestFrames.udp(from: IPv4Address(198, 18, 7, 7), ports: (5, 53))
        let allowed = try NICTestFrames.udp(from: IPv4Address(10, 0, 0, 1), ports: (5, 53))
        #expect(harness.deliver([denied, diverted, allowed]) == [allowed])
        #expect(harness.nic.nicStatistics.droppedByReason[Int(Filtering.dropReason)] == 1)
        #expect(harness.nic.exceptionQueue.dequeueCopy()?.bytes == diverted)
        #expect(harness.nic.nicStatistics.exceptionsByReason[Int(Filtering.divertReason)] == 1)
    }

    @Test("flow control: the NIC's DCCP ACK equals one built independently, and stops when the queue is full")
    func acknowledgesWhileQueueHasRoom() throws {
        let harness = try NICTestHarness(FlowControlACK.program(port: 5000, queue: 0), queueCount: 1, queueCapacity: 2)
        let payload: [UInt8] = Array("tuple-1".utf8)
        let data = try NICTestFrames.dccp(ports: (41_000, 5000), type: UInt8(StandardParseGraph.dccpData), sequence: 0x0102_0304_0506,
                                          payload: payload)
        #expect(harness.deliver([data, data, data]).isEmpty)
        let acks = harness.wire.a.receiveCopies()
        let expected = try NICTestFrames.dccp(from: NICTestFrames.server, to: NICTestFrames.client,
                                              macs: (NICTestFrames.serverMAC, NICTestFrames.clientMAC), ports: (5000, 41_000),
                                              type: UInt8(StandardParseGraph.dccpAck), sequence: 0x0102_0304_0506,
                                              acknowledgment: 0x0102_0304_0506)
        #expect(acks.count == 2, "two packets found room; the third was dropped and not acknowledged")
        #expect(acks.first == expected)
        #expect(harness.drain(queue: 0).map(\.bytes) == [data, data], "the queue keeps the packets as received")
        #expect(harness.nic.nicStatistics.queueFullDrops == 1)
        #expect(harness.nic.nicStatistics.repliesSent == 2)
    }

    @Test("symmetric steering: both directions of every flow land on one queue; the partition table moves groups")
    func steersBothDirectionsAlike() throws {
        let harness = try NICTestHarness(SymmetricSteering.program(groups: 64, queues: 4), queueCount: 4)
        var used = Set<Int>()
        for flow in 0..<32 {
            let client = IPv4Address(198, 18, 1, UInt8(flow)), port = UInt16(40_000 + flow * 7)
            let forward = try NICTestFrames.tcp(from: client, to: NICTestFrames.server, ports: (port, 80))
            let backward = try NICTestFrames.tcp(from: NICTestFrames.server, to: client, ports: (80, port))
            var verdicts: [PacketVerdict] = []
            for frame in [forward, backward] {
                var bytes = frame
                verdicts.append(bytes.withUnsafeMutableBytes { harness.program.process($0.baseAddress!, length: $0.count) })
            }
            #expect(verdicts[0].disposition == verdicts[1].disposition)
            #expect(verdicts[0].descriptor == verdicts[1].descriptor)
            // The reference: Toeplitz over (lower address, higher address, lower port, higher port).
            let addresses = [client.value, NICTestFrames.server.value].sorted(), ports = [port, 80].sorted()
            let input = addresses.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value >> UInt32(24 - 8 * $0)) } }
                + ports.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
            #expect(verdicts[0].descriptor == Toeplitz.referenceHash(input))
            if case .queue(let queue) = verdicts[0].disposition { used.insert(queue) }
        }
        #expect(used.count > 1, "flows spread over several queues")
        let flow = try NICTestFrames.tcp(ports: (40_001, 80))
        _ = harness.deliver([flow])
        let group = Int(harness.program.fieldValue("meta.group")!)
        try harness.program.insertEntry(table: "partition", key: [UInt64(group)], action: "to_queue", parameters: [3])
        _ = harness.deliver([flow])
        #expect(harness.drain(queue: 3).count >= 1)
        #expect(try harness.program.readRegister("queue_packets", index: 3) >= 1)
    }
}
