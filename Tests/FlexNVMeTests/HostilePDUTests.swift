import FlexNVMe
import FlexWire
import Foundation
import Testing

/// A target connection fed hand-made bytes, and what it answered.
private final class Probe {
    let target: NVMeTarget
    let connection: TargetConnection

    /// A connection to `target` (nil: a new target with a 1 MiB RAM namespace).
    init(target: NVMeTarget? = nil) {
        self.target = target ?? NVMeTarget(configuration: TargetConfiguration(subsystemNQN: "nqn.2026-12.org.flextcp:test", port: 4420),
                                           namespace: MemoryNamespace(byteCount: 1 << 20))
        connection = TargetConnection(target: self.target, localAddress: "198.18.0.2", localPort: 4420, bufferCapacity: 1 << 20)
    }

    /// Feeds `bytes`; returns the PDUs the target answered with (type, bytes).
    @discardableResult
    func feed(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.withUnsafeBytes { raw in
            var input = InputBytes(raw)
            connection.receive(&input)
        }
        let answer = Array(connection.outbound.pending)
        connection.outbound.consume(answer.count)
        return pduRanges(answer).map { Array(answer[$0.range]) }
    }

    /// Initializes the connection (ICReq) with the given digests.
    func initialize(headerDigest: Bool = false, dataDigest: Bool = false) {
        let answer = feed(pdu(.icReq(ConnectionParameters(headerDigest: headerDigest, dataDigest: dataDigest, limit: 0))))
        precondition(answer.first?.first == PDUType.icResp.rawValue)
    }
}

/// The bytes of one PDU as `writer` encodes it.
private func pdu(_ header: PDUHeader, flags: UInt8 = 0, data: [UInt8] = [], writer: PDUWriter = PDUWriter()) -> [UInt8] {
    let buffer = OutboundBuffer()
    data.withUnsafeBytes { writer.append(header, flags: flags, data: $0, to: buffer) }
    return Array(buffer.pending)
}

/// A Connect capsule for `queue` of `controller`, its data in the capsule.
private func connectPDU(queue: UInt16, controller: UInt16) -> [UInt8] {
    var connect = Command.connect(queueID: queue, entries: 32, keepAliveMilliseconds: 0)
    connect.flags = SubmissionEntry.flagsSGL
    connect.sglType = SubmissionEntry.sglInCapsule
    connect.sglLength = 1024
    return pdu(.capsuleCmd(connect), data: Command.connectData(controllerID: controller, subsystemNQN: "nqn.2026-12.org.flextcp:test",
                                                              hostNQN: "nqn.test:host"))
}

/// A Write of `blocks` 4 KiB blocks at `lba` whose data follows an R2T.
private func writeCommand(blocks: Int, id: UInt16 = 1, lba: UInt64 = 0) -> SubmissionEntry {
    var command = Command.blocks(IOOpcode.write, lba: lba, blocks: blocks)
    command.commandID = id
    command.flags = SubmissionEntry.flagsSGL
    command.sglType = SubmissionEntry.sglTransport
    command.sglLength = UInt32(blocks * 4096)
    return command
}

@Suite("NVMe/TCP hostile PDUs end the connection with the right termination")
struct HostilePDUTests {
    /// Checks that the answer is one C2HTermReq with `status` (and `field`), the reason counted, the connection finished.
    private func expectTermination(_ probe: Probe, _ answer: [[UInt8]], _ status: FatalErrorStatus, field: UInt32? = nil,
                                   _ reason: ProtocolViolation, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(answer.last?.first == PDUType.c2hTermReq.rawValue, sourceLocation: sourceLocation)
        guard let term = answer.last, term.count >= 24 else { return }
        #expect(UInt16(term[8]) | UInt16(term[9]) << 8 == status.rawValue, sourceLocation: sourceLocation)
        if let field { #expect(term.loadLittleUInt32(at: 10) == field, sourceLocation: sourceLocation) }
        #expect(probe.connection.counters[reason] == 1, sourceLocation: sourceLocation)
        #expect(probe.connection.isFinished, sourceLocation: sourceLocation)
        // Nothing more is read once terminated.
        #expect(probe.feed(pdu(.icReq(ConnectionParameters(headerDigest: false, dataDigest: false, limit: 0)))).isEmpty,
                sourceLocation: sourceLocation)
    }

    private var icReq: [UInt8] { pdu(.icReq(ConnectionParameters(headerDigest: false, dataDigest: false, limit: 0))) }

    @Test("a controller-to-host PDU from the host is refused")
    func wrongDirection() {
        let probe = Probe()
        probe.initialize()
        let answer = probe.feed(pdu(.capsuleResp(CompletionEntry(commandID: 1, status: .success))))
        expectTermination(probe, answer, .invalidHeaderField, field: 0, .wrongDirection)
    }

    @Test("a command before ICReq is a PDU sequence error")
    func commandBeforeInitialization() {
        let probe = Probe()
        expectTermination(probe, probe.feed(pdu(.capsuleCmd(Command.admin(AdminOpcode.keepAlive)))), .pduSequenceError, .initializationMissing)
    }

    @Test("a second ICReq is a PDU sequence error")
    func repeatedInitialization() {
        let probe = Probe()
        probe.initialize()
        expectTermination(probe, probe.feed(icReq), .pduSequenceError, .initializationRepeated)
    }

    /// One ICReq field set to a value no valid ICReq has: (byte, value, FES, FEI, reason).
    static let badInitializationFields: [(Int, UInt8, FatalErrorStatus, UInt32, ProtocolViolation)] = [
        (0, 0x08, .invalidHeaderField, 0, .unknownPDUType),
        (2, 127, .invalidHeaderField, 2, .headerLengthMismatch),
        (4, 129, .invalidHeaderField, 4, .totalLengthInvalid),
        (8, 1, .unsupportedParameter, 8, .unsupportedVersion),
        (10, 32, .invalidHeaderField, 10, .dataAlignmentInvalid),
        (11, 0x04, .invalidHeaderField, 11, .reservedFlags),
    ]

    @Test("a bad ICReq field ends the connection with its FES and the field's offset", arguments: badInitializationFields)
    func badInitializationField(_ bad: (Int, UInt8, FatalErrorStatus, UInt32, ProtocolViolation)) {
        let probe = Probe()
        var bytes = icReq
        bytes[bad.0] = bad.1
        expectTermination(probe, probe.feed(bytes + [0]), bad.2, field: bad.3, bad.4)
    }

    @Test("reserved FLAGS bits are an invalid header field at byte 1")
    func reservedFlags() {
        let probe = Probe()
        probe.initialize()
        var bytes = pdu(.capsuleCmd(Command.admin(AdminOpcode.keepAlive)))
        bytes[1] = 0x10
        expectTermination(probe, probe.feed(bytes), .invalidHeaderField, field: 1, .reservedFlags)
    }

    @Test("a PDU without the header digest negotiated is an invalid header field at byte 1")
    func missingHeaderDigest() {
        let probe = Probe()
        probe.initialize(headerDigest: true)
        expectTermination(probe, probe.feed(pdu(.capsuleCmd(Command.admin(AdminOpcode.keepAlive)))), .invalidHeaderField, field: 1,
                          .digestFlagMismatch)
    }

    @Test("a header digest that does not match is a header digest error")
    func headerDigest() {
        let probe = Probe()
        probe.initialize(headerDigest: true)
        var writer = PDUWriter()
        writer.headerDigest = true
        var bytes = pdu(.capsuleCmd(Command.admin(AdminOpcode.keepAlive)), writer: writer)
        bytes[72] ^= 0xFF
        expectTermination(probe, probe.feed(bytes), .headerDigestError, .headerDigestMismatch)
    }

    @Test("a PDO inside the header is an invalid header field at byte 3")
    func dataOffset() {
        let probe = Probe()
        probe.initialize()
        var bytes = pdu(.capsuleCmd(Command.admin(AdminOpcode.keepAlive)), data: [UInt8](repeating: 1, count: 64))
        bytes[3] = 40
        expectTermination(probe, probe.feed(bytes), .invalidHeaderField, field: 3, .dataOffsetInvalid)
    }

    @Test("in-capsule data beyond the limit is a data transfer limit error")
    func inCapsuleTooLarge() {
        let probe = Probe()
        probe.initialize()
        let answer = probe.feed(pdu(.capsuleCmd(Command.admin(AdminOpcode.keepAlive)), data: [UInt8](repeating: 1, count: 8196)))
        expectTermination(probe, answer, .dataLimitExceeded, .inCapsuleDataTooLarge)
    }

    @Test("H2CData with an unknown transfer tag is an invalid header field at byte 10")
    func unknownTransferTag() {
        let probe = Probe()
        probe.initialize()
        let answer = probe.feed(pdu(.h2cData(DataTransferHeader(commandID: 1, transferTag: 9, offset: 0, length: 4)), flags: PDUFlags.lastPDU,
                                    data: [1, 2, 3, 4]))
        expectTermination(probe, answer, .invalidHeaderField, field: 10, .unknownTransferTag)
    }

    /// A probe with an I/O queue connected (after a controller was made and enabled on another connection).
    private func connectedIOProbe() -> Probe {
        let admin = Probe()
        admin.initialize()
        let accepted = admin.feed(connectPDU(queue: 0, controller: 0xFFFF))
        let controller = UInt16(accepted[0][8]) | UInt16(accepted[0][9]) << 8
        admin.feed(pdu(.capsuleCmd(Command.propertySet(ControllerProperty.configuration, value: 1))))
        let io = Probe(target: admin.target)
        io.initialize()
        let connected = io.feed(connectPDU(queue: 1, controller: controller))
        precondition(connected.first?.first == PDUType.capsuleResp.rawValue && connected[0][22] == 0 && connected[0][23] == 0)
        return io
    }

    /// A connected I/O probe with a Write whose R2T arrived; returns the probe and the R2T's transfer tag.
    private func probeAwaitingData(blocks: Int) -> (Probe, UInt16) {
        let io = connectedIOProbe()
        let r2t = io.feed(pdu(.capsuleCmd(writeCommand(blocks: blocks))))
        precondition(r2t.first?.first == PDUType.r2t.rawValue)
        return (io, UInt16(r2t[0][10]) | UInt16(r2t[0][11]) << 8)
    }

    /// Feeds a Write of 16 blocks from LBA 250 of the 256-block namespace, by R2T or (`inCapsule`, one block
    /// from LBA 256) with its data, and checks that it failed at once with LBA Out of Range and no R2T.
    private func failWritePastEnd(_ probe: Probe, id: UInt16, inCapsule: Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        var command = writeCommand(blocks: inCapsule ? 1 : 16, id: id, lba: inCapsule ? 256 : 250)
        if inCapsule { command.sglType = SubmissionEntry.sglInCapsule }
        let answer = probe.feed(pdu(.capsuleCmd(command), data: inCapsule ? [UInt8](repeating: 7, count: 4096) : []))
        #expect(answer.count == 1 && answer[0].first == PDUType.capsuleResp.rawValue, sourceLocation: sourceLocation)
        guard let response = answer.first, response.count >= 24 else { return }
        #expect(UInt16(response[20]) | UInt16(response[21]) << 8 == id, sourceLocation: sourceLocation)
        // The status field (phase tag aside): SCT 0, SC 0x80 (LBA Out of Range), DNR.
        #expect((UInt16(response[22]) | UInt16(response[23]) << 8) & 0xFFFE == 0x8100, sourceLocation: sourceLocation)
    }

    @Test("H2CData for a write the target already failed (LBA Out of Range: no R2T was sent) ends the connection: unknown transfer tag",
          arguments: [false, true])
    func dataForFailedWrite(inCapsule: Bool) {
        let probe = connectedIOProbe()
        failWritePastEnd(probe, id: 1, inCapsule: inCapsule)
        let answer = probe.feed(pdu(.h2cData(DataTransferHeader(commandID: 1, transferTag: 0, offset: 0, length: 4096)),
                                    data: [UInt8](repeating: 7, count: 4096)))
        expectTermination(probe, answer, .invalidHeaderField, field: 10, .unknownTransferTag)
    }

    @Test("H2CData naming a failed write under another write's transfer tag ends the connection: unknown command ID")
    func dataForFailedWriteUnderLiveTag() {
        let (probe, tag) = probeAwaitingData(blocks: 2)
        failWritePastEnd(probe, id: 2, inCapsule: false)
        let answer = probe.feed(pdu(.h2cData(DataTransferHeader(commandID: 2, transferTag: tag, offset: 0, length: 4096)),
                                    data: [UInt8](repeating: 7, count: 4096)))
        expectTermination(probe, answer, .invalidHeaderField, field: 8, .unknownCommandID)
    }

    @Test("H2CData beyond the R2T's range is a data transfer out of range error")
    func dataOutOfRange() {
        let (probe, tag) = probeAwaitingData(blocks: 1)
        let answer = probe.feed(pdu(.h2cData(DataTransferHeader(commandID: 1, transferTag: tag, offset: 0, length: 8192)),
                                    flags: PDUFlags.lastPDU, data: [UInt8](repeating: 7, count: 8192)))
        expectTermination(probe, answer, .dataOutOfRange, .dataOutOfRange)
    }

    @Test("H2CData above MAXH2CDATA is a data transfer limit error")
    func dataLimit() {
        let (probe, tag) = probeAwaitingData(blocks: 32)
        let length = 64 * 1024 + 4096
        let answer = probe.feed(pdu(.h2cData(DataTransferHeader(commandID: 1, transferTag: tag, offset: 0, length: UInt32(length))),
                                    data: [UInt8](repeating: 7, count: length)))
        expectTermination(probe, answer, .dataLimitExceeded, .dataLimitExceeded)
    }

    @Test("H2CData out of order is a PDU sequence error")
    func dataOutOfOrder() {
        let (probe, tag) = probeAwaitingData(blocks: 2)
        let answer = probe.feed(pdu(.h2cData(DataTransferHeader(commandID: 1, transferTag: tag, offset: 4096, length: 4096)),
                                    flags: PDUFlags.lastPDU, data: [UInt8](repeating: 7, count: 4096)))
        expectTermination(probe, answer, .pduSequenceError, field: 12, .dataOffsetOutOfOrder)
    }

    /// Rounds: 4,000, or FLEXNVME_GARBAGE_ROUNDS.
    @Test("random byte strings after ICReq never crash: consumed or terminated with a counted reason")
    func garbage() {
        var random = SystemRandomNumberGenerator()
        var terminated = 0
        let target = Probe().target
        let rounds = ProcessInfo.processInfo.environment["FLEXNVME_GARBAGE_ROUNDS"].flatMap { Int($0) } ?? 4_000
        for round in 0..<rounds {
            let probe = Probe(target: target)
            probe.initialize(headerDigest: round % 2 == 0, dataDigest: round % 3 == 0)
            var bytes = [UInt8](repeating: 0, count: Int.random(in: 1...200, using: &random))
            for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255, using: &random) }
            // Half the time, a plausible common header.
            if round % 2 == 1 && bytes.count >= 8 {
                bytes[0] = [0x04, 0x06, 0x02][round % 3]
                bytes[2] = bytes[0] == 0x04 ? 72 : 24
                bytes[4] = UInt8(bytes.count)
                bytes[5] = 0; bytes[6] = 0; bytes[7] = 0
            }
            let answer = probe.feed(bytes)
            if probe.connection.isFinished {
                terminated += 1
                let counted = ProtocolViolation.allCases.reduce(0) { $0 + probe.connection.counters[$1] }
                #expect(counted == 1)
                #expect(answer.last?.first == PDUType.c2hTermReq.rawValue || probe.connection.counters[.termReqReceived] == 1)
            }
        }
        #expect(terminated > rounds / 2)
    }
}

