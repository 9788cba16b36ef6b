import FlexPort

/// The controller side of one NVMe/TCP connection (one queue: admin or I/O), independent of the
/// transport: the transport lends received bytes to `receive`, sends `outbound.pending`, and calls
/// `checkTimers` now and then; `close` on disconnect tears the queue (and, for the admin queue, the
/// controller) down.
///
/// Contract: used by one thread at a time. After a fatal protocol error the connection queues a
/// C2HTermReq, counts the reason and sets `isFinished`: the transport sends what is pending and
/// closes. Write data is placed straight into memory-backed namespaces; with data digests it is
/// placed only after its digest matched, and a write completes only once its data is durable.
public final class TargetConnection: PDUHandler {
    /// A command whose data the host sends (Write, Dataset Management): in capsule or after an R2T.
    struct Transfer {
        var command: SubmissionEntry
        var length: Int
        var received = 0
        var intact = true
        /// Namespace byte offset of the data, when it goes straight into the namespace's memory.
        var namespaceOffset: Int?
        /// Staging for data that does not go straight into the namespace.
        var staging: UnsafeMutableRawBufferPointer?
        /// Status decided before the data arrived (e.g. LBA out of range): the data is dropped.
        var failure: NVMeStatus?
    }

    public let target: NVMeTarget
    public let outbound = OutboundBuffer()
    public internal(set) var counters = ProtocolCounters()
    /// True once the connection must close (terminated, controller gone, or host's TermReq).
    public private(set) var isFinished = false
    /// This side's address and port as the host reached them (reported in the discovery log page).
    let localAddress: String
    let localPort: UInt16
    public let pduReader: PDUReader
    var writer = PDUWriter()
    var controller: TargetController?
    var queueID: UInt16 = 0
    var queueEntries = 0
    var submissionHead: UInt16 = 0
    var outstanding = 0
    var maximumOutstandingR2T = 1
    /// The capsule whose in-capsule data is being received.
    var capsule: Transfer?
    /// Transfers waiting for H2CData, by transfer tag.
    var transfers: [UInt16: Transfer] = [:]
    var nextTransferTag: UInt16 = 0
    let clock = MonotonicTimeSource()

    /// A connection of `target` accepted on `localAddress`:`localPort`; `bufferCapacity` is how many
    /// received bytes the transport can hold unconsumed (its buffer or receive ring).
    public init(target: NVMeTarget, localAddress: String, localPort: UInt16, bufferCapacity: Int) {
        self.target = target
        self.localAddress = localAddress
        self.localPort = localPort
        pduReader = PDUReader(readsHostPDUs: true, bufferCapacity: bufferCapacity)
    }

    /// Ends the connection if its controller was torn down (keep-alive expired, admin queue gone).
    public func checkTimers() {
        guard let controller, !isFinished else { return }
        if controller.checkKeepAlive(now: clock.now()) { finish() }
    }

    /// The transport closed the connection: tears the queue down (the controller with its admin
    /// queue) and hands the counts to the target. Call once.
    public func close() {
        if queueID == 0, let controller { target.remove(controller) }
        controller = nil
        capsule.map(releaseStaging)
        for transfer in transfers.values { releaseStaging(transfer) }
        transfers = [:]
        capsule = nil
        target.add(counters)
        isFinished = true
    }

    func finish() { isFinished = true }

    /// Queues a C2HTermReq for `termination`, counts its reason and finishes.
    public func terminate(_ termination: Termination) {
        counters.count(termination.reason)
        writer.append(.c2hTermReq(status: termination.status.rawValue, field: termination.fieldInformation), to: outbound)
        finish()
    }

    func releaseStaging(_ transfer: Transfer) { transfer.staging?.deallocate() }

    // MARK: PDUHandler

    public func receivedHeader(_ header: PDUHeader, flags: UInt8, dataLength: Int) throws(Termination) -> DataPlacement {
        switch header {
        case .capsuleCmd(let command):
            return try beginCapsule(command, dataLength: dataLength)
        case .h2cData(let data):
            return try beginH2CData(data, flags: flags, dataLength: dataLength)
        default:
            return .discard
        }
    }

    public func receivedPDU(_ header: PDUHeader, flags: UInt8, dataIntact: Bool) throws(Termination) {
        switch header {
        case .icReq(let parameters):
            initialize(parameters)
        case .h2cTermReq:
            counters.count(.termReqReceived)
            finish()
        case .capsuleCmd(let command):
            try finishCapsule(command, dataIntact: dataIntact)
        case .h2cData(let data):
            try finishH2CData(data, dataIntact: dataIntact)
        default:
            throw Termination(.invalidHeaderField, field: 0, .unexpectedPDU)
        }
    }

    /// ICReq: answers with ICResp granting the digests asked for and our MAXH2CDATA.
    private func initialize(_ request: ConnectionParameters) {
        maximumOutstandingR2T = Int(request.limit) + 1
        let maximumData = min(target.configuration.maximumH2CData, max(4096, (pduReader.bufferCapacity - 256) / 4 * 4))
        writer.append(.icResp(ConnectionParameters(headerDigest: request.headerDigest, dataDigest: request.dataDigest,
                                                   limit: UInt32(maximumData))), to: outbound)
        pduReader.establish(headerDigest: request.headerDigest, dataDigest: request.dataDigest)
        writer.headerDigest = request.headerDigest
        writer.dataDigest = request.dataDigest
        writer.dataAlignment = request.dataAlignment
        h2cDataLimit = maximumData
    }

    /// MAXH2CDATA granted in ICResp.
    var h2cDataLimit = 4096

    // MARK: capsules

    /// A command capsule's header: checks its in-capsule data and decides where it goes.
    private func beginCapsule(_ command: SubmissionEntry, dataLength: Int) throws(Termination) -> DataPlacement {
        outstanding += 1
        if queueEntries > 0 && outstanding > queueEntries { throw Termination(.pduSequenceError, .queueOverflow) }
        guard dataLength > 0 else { return .discard }
        let limit = queueID == 0 ? max(8192, target.configuration.inCapsuleDataBytes) : target.configuration.inCapsuleDataBytes
        guard dataLength <= limit else { throw Termination(.dataLimitExceeded, .inCapsuleDataTooLarge) }
        var transfer = Transfer(command: command, length: dataLength)
        if command.sglType != SubmissionEntry.sglInCapsule || command.sglAddress != 0 || Int(command.sglLength) != dataLength {
            transfer.failure = .sglDataBlockInvalid
            capsule = transfer
            return .discard
        }
        if isIOQueue && command.opcode == IOOpcode.write {
            let placement = placeWrite(&transfer)
            capsule = transfer
            return placement
        }
        transfer.staging = .allocate(byteCount: dataLength, alignment: 8)
        capsule = transfer
        return .streamed(transfer.staging!)
    }

    /// Where a Write's data goes: straight into the namespace's memory, else into staging; nowhere
    /// if the command is invalid (its failure then recorded).
    func placeWrite(_ transfer: inout Transfer) -> DataPlacement {
        let command = transfer.command
        if let failure = validateBlocks(command, dataLength: transfer.length) {
            transfer.failure = failure
            return .discard
        }
        let offset = Int(command.startingLBA) * target.namespace.blockSize
        if let memory = target.namespace.mappedBytes(offset..<(offset + transfer.length)) {
            transfer.namespaceOffset = offset
            return .verifiedFirst(memory)
        }
        transfer.staging = .allocate(byteCount: transfer.length, alignment: 64)
        return .verifiedFirst(transfer.staging!)
    }

    var isIOQueue: Bool { queueID != 0 }

    private func finishCapsule(_ command: SubmissionEntry, dataIntact: Bool) throws(Termination) {
        submissionHead = queueEntries > 0 ? UInt16((Int(submissionHead) + 1) % queueEntries) : submissionHead &+ 1
        let transfer = capsule
        capsule = nil
        defer { transfer.map(releaseStaging) }
        if !dataIntact {
            counters.dataDigestErrors += 1
            complete(command, status: .transientTransportError)
            return
        }
        if let failure = transfer?.failure {
            complete(command, status: failure)
            return
        }
        if controller != nil, queueID == 0 { controller!.keepAlive(now: clock.now()) }
        if command.opcode == AdminOpcode.fabrics && !isIOQueue {
            try executeFabrics(command, data: transfer?.staging)
        } else if controller == nil {
            complete(command, status: .commandSequenceError)
        } else if isIOQueue {
            try executeIO(command, transfer: transfer)
        } else if !controller!.isEnabled {
            // Only Fabrics commands until the host set CC.EN and saw CSTS.RDY (Linux's nvmet refuses them too).
            complete(command, status: .commandSequenceError)
        } else {
            executeAdmin(command, data: transfer?.staging)
        }
    }

    // MARK: responses

    /// Sends the command's completion.
    func complete(_ command: SubmissionEntry, status: NVMeStatus, result: UInt64 = 0) {
        outstanding -= 1
        let entry = CompletionEntry(result: result, submissionQueueHead: submissionHead, submissionQueueID: queueID,
                                    commandID: command.commandID, status: status)
        writer.append(.capsuleResp(entry), to: outbound)
    }

    /// Sends `data` to the host's buffer (C2HData, at most the command's SGL length) and completes the command.
    func completeWithData(_ command: SubmissionEntry, _ data: [UInt8]) {
        let length = min(data.count, Int(command.sglLength))
        guard command.sglType == SubmissionEntry.sglTransport else {
            complete(command, status: .sglDataBlockInvalid)
            return
        }
        if length > 0 {
            data.withUnsafeBytes { bytes in
                writer.append(.c2hData(DataTransferHeader(commandID: command.commandID, offset: 0, length: UInt32(length))),
                              flags: PDUFlags.lastPDU, data: UnsafeRawBufferPointer(rebasing: bytes[..<length]), to: outbound)
            }
        }
        complete(command, status: .success)
    }
}
