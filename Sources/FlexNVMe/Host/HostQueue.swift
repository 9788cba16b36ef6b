/// The host side of one NVMe/TCP connection (one queue), independent of the transport: submits
/// commands (data in capsule when it fits, else after the controller's R2T), places C2HData straight
/// into the caller's buffer, and reports each completion.
///
/// Contract: one thread at a time. `submit` returns false when the queue is full (outstanding =
/// queue entries - 1, leaving the SQ one slot as NVMe flow control requires). A C2HData whose data
/// digest did not match turns the command's status into Transient Transport Error. A malformed PDU
/// from the controller ends the queue with an H2CTermReq (`failure` says why).
public final class HostQueue {
    /// What a command finished with.
    public typealias Completion = (CompletionEntry) -> Void
    /// What a command submitted with a tag finished with, and its tag.
    public typealias TaggedCompletion = (Int, CompletionEntry) -> Void

    struct Pending {
        var command: SubmissionEntry
        var writeData: UnsafeRawBufferPointer?
        var readBuffer: UnsafeMutableRawBufferPointer?
        var readReceived = 0
        var intact = true
        /// Nil for a command submitted with a tag (reported to `taggedCompletion`).
        var completion: Completion?
        var tag = 0
    }

    public let queueID: UInt16
    public let entries: Int
    public let outbound = OutboundBuffer()
    public private(set) var counters = ProtocolCounters()
    public private(set) var failure: HostError?
    public private(set) var isFinished = false
    /// True once ICResp arrived.
    public private(set) var isInitialized = false
    /// In-capsule data this queue may send (8 KiB on the admin queue; IOCCSZ for I/O queues).
    public var inCapsuleLimit = 8192
    private(set) var maximumH2CData = 4096
    public let pduReader: PDUReader
    private var writer = PDUWriter()
    /// Outstanding commands by command ID (the index; nil: the ID is free), so that a PDU finds its
    /// command without hashing and updates it in place.
    private var slots: [Pending?]
    /// Command IDs not in use.
    private var freeIDs: [UInt16]
    private let wantsHeaderDigest: Bool
    private let wantsDataDigest: Bool
    /// Where commands submitted with a tag complete: one handler for many commands, so that a
    /// submission allocates no closure of its own (`NVMeHost.run`).
    public var taggedCompletion: TaggedCompletion?

    /// A queue `queueID` of `entries` entries; the ICReq asking for the digests is queued at once.
    public init(queueID: UInt16, entries: Int, headerDigest: Bool, dataDigest: Bool, bufferCapacity: Int = 256 * 1024) {
        self.queueID = queueID
        self.entries = entries
        slots = Array(repeating: nil, count: entries)
        freeIDs = (0..<UInt16(entries)).reversed()
        wantsHeaderDigest = headerDigest
        wantsDataDigest = dataDigest
        pduReader = PDUReader(readsHostPDUs: false, bufferCapacity: bufferCapacity)
        writer.append(.icReq(ConnectionParameters(headerDigest: headerDigest, dataDigest: dataDigest, limit: 0)), to: outbound)
        // Commands may be queued behind the ICReq before the ICResp arrives: they carry the digests asked for
        // (a controller granting others is refused).
        writer.headerDigest = headerDigest
        writer.dataDigest = dataDigest
    }

    /// Commands submitted and not completed.
    public var outstanding: Int { entries - freeIDs.count }
    public var isFull: Bool { outstanding >= entries - 1 }

    /// Submits `command` (its command ID and SGL are set here). `writeData` is sent to the
    /// controller; C2HData lands in `readBuffer`. Both must stay valid until the completion.
    @discardableResult
    public func submit(_ command: SubmissionEntry, writeData: UnsafeRawBufferPointer? = nil,
                       readBuffer: UnsafeMutableRawBufferPointer? = nil, completion: @escaping Completion) -> Bool {
        submit(command, writeData: writeData, readBuffer: readBuffer, completion: completion, tag: 0)
    }

    /// `submit`, with the completion reported to `taggedCompletion` with `tag`.
    @discardableResult
    public func submit(_ command: SubmissionEntry, writeData: UnsafeRawBufferPointer? = nil,
                       readBuffer: UnsafeMutableRawBufferPointer? = nil, tag: Int) -> Bool {
        submit(command, writeData: writeData, readBuffer: readBuffer, completion: nil, tag: tag)
    }

    private func submit(_ command: SubmissionEntry, writeData: UnsafeRawBufferPointer?, readBuffer: UnsafeMutableRawBufferPointer?,
                        completion: Completion?, tag: Int) -> Bool {
        guard !isFull, !isFinished else { return false }
        var command = command
        command.commandID = freeIDs.removeLast()
        command.flags = SubmissionEntry.flagsSGL
        var inCapsule = UnsafeRawBufferPointer(start: nil, count: 0)
        if let writeData, writeData.count <= inCapsuleLimit {
            command.sglType = SubmissionEntry.sglInCapsule
            command.sglAddress = 0
            command.sglLength = UInt32(writeData.count)
            inCapsule = writeData
        } else {
            command.sglType = SubmissionEntry.sglTransport
            command.sglAddress = 0
            command.sglLength = UInt32(writeData?.count ?? readBuffer?.count ?? 0)
        }
        slots[Int(command.commandID)] = Pending(command: command, writeData: writeData, readBuffer: readBuffer, completion: completion, tag: tag)
        writer.append(.capsuleCmd(command), data: inCapsule, to: outbound)
        return true
    }

    /// The connection is gone: every outstanding command fails.
    public func close() {
        if failure == nil { failure = .connection("connection closed") }
        isFinished = true
        finishAll()
    }

    private func finishAll() {
        let failed = slots.compactMap { $0 }
        slots = Array(repeating: nil, count: entries)
        freeIDs = (0..<UInt16(entries)).reversed()
        for entry in failed {
            report(entry, CompletionEntry(submissionQueueID: queueID, commandID: entry.command.commandID, status: .transientTransportError))
        }
    }

    /// Queues an H2CTermReq for `termination`, counts its reason, fails every outstanding command.
    public func terminate(_ termination: Termination) {
        counters.count(termination.reason)
        writer.append(.h2cTermReq(status: termination.status.rawValue, field: termination.fieldInformation), to: outbound)
        failure = .protocolViolation(termination.reason)
        isFinished = true
        finishAll()
    }

    // MARK: PDUHandler

    public func receivedHeader(_ header: PDUHeader, flags: UInt8, dataLength: Int) throws(Termination) -> DataPlacement {
        guard case .c2hData(let data) = header else { return .discard }
        guard let slot = slot(of: data.commandID), let buffer = slots[slot]!.readBuffer else {
            throw Termination(.invalidHeaderField, field: 8, .unknownCommandID)
        }
        guard Int(data.length) == dataLength, dataLength > 0 else { throw Termination(.invalidHeaderField, field: 16, .totalLengthInvalid) }
        guard Int(data.offset) == slots[slot]!.readReceived else { throw Termination(.pduSequenceError, field: 12, .dataOffsetOutOfOrder) }
        guard Int(data.offset) + dataLength <= buffer.count else { throw Termination(.dataOutOfRange, .dataOutOfRange) }
        return .streamed(UnsafeMutableRawBufferPointer(rebasing: buffer[Int(data.offset)..<(Int(data.offset) + dataLength)]))
    }

    public func receivedPDU(_ header: PDUHeader, flags: UInt8, dataIntact: Bool) throws(Termination) {
        switch header {
        case .icResp(let parameters):
            guard parameters.headerDigest == wantsHeaderDigest, parameters.dataDigest == wantsDataDigest else {
                throw Termination(.invalidHeaderField, field: 11, .digestFlagMismatch)
            }
            pduReader.establish(headerDigest: parameters.headerDigest, dataDigest: parameters.dataDigest)
            writer.dataAlignment = parameters.dataAlignment
            maximumH2CData = Int(parameters.limit)
            isInitialized = true
        case .c2hTermReq(let status, let field):
            failure = .terminated(status: status, field: field)
            isFinished = true
            finishAll()
        case .c2hData(let data):
            guard let slot = slot(of: data.commandID) else { return }
            slots[slot]!.readReceived += Int(data.length)
            if !dataIntact {
                slots[slot]!.intact = false
                counters.dataDigestErrors += 1
            }
            if flags & PDUFlags.success != 0 {
                complete(CompletionEntry(submissionQueueID: queueID, commandID: data.commandID, status: .success))
            }
        case .r2t(let request):
            try sendData(request)
        case .capsuleResp(let entry):
            complete(entry)
        default:
            throw Termination(.invalidHeaderField, field: 0, .unexpectedPDU)
        }
    }

    /// Answers an R2T with H2CData PDUs of at most MAXH2CDATA bytes each.
    private func sendData(_ request: DataTransferHeader) throws(Termination) {
        guard let slot = slot(of: request.commandID), let data = slots[slot]!.writeData else {
            throw Termination(.invalidHeaderField, field: 8, .unknownCommandID)
        }
        let end = Int(request.offset) + Int(request.length)
        guard end <= data.count else { throw Termination(.dataOutOfRange, .dataOutOfRange) }
        var offset = Int(request.offset)
        while offset < end {
            let length = min(maximumH2CData, end - offset)
            let last = offset + length == end
            writer.append(.h2cData(DataTransferHeader(commandID: request.commandID, transferTag: request.transferTag,
                                                      offset: UInt32(offset), length: UInt32(length))),
                          flags: last ? PDUFlags.lastPDU : 0, data: UnsafeRawBufferPointer(rebasing: data[offset..<(offset + length)]),
                          to: outbound)
            offset += length
        }
    }

    private func complete(_ entry: CompletionEntry) {
        guard let slot = slot(of: entry.commandID), let command = slots[slot] else { return }
        slots[slot] = nil
        freeIDs.append(entry.commandID)
        var entry = entry
        if !command.intact && entry.status.isSuccess { entry.status = .transientTransportError }
        report(command, entry)
    }

    /// Tells the command's submitter how it finished.
    private func report(_ command: Pending, _ entry: CompletionEntry) {
        if let completion = command.completion { completion(entry) } else { taggedCompletion?(command.tag, entry) }
    }

    /// The slot of outstanding command `commandID`, or nil if no such command is outstanding.
    private func slot(of commandID: UInt16) -> Int? {
        let index = Int(commandID)
        return index < slots.count && slots[index] != nil ? index : nil
    }
}
