import FlexPort

/// An NVMe/TCP host (initiator) connected to one subsystem: the admin queue and its I/O queues,
/// each a connection of `transport`. Connecting does what Linux's host does: ICReq, Connect,
/// CAP, CC.EN, CSTS.RDY, Identify Controller, Number of Queues, then each I/O queue's Connect.
///
/// Contract: one thread uses a host. Synchronous calls pump the transport until their commands
/// complete or `options.timeoutMilliseconds` pass; `run` keeps up to `queueDepth - 1` commands
/// outstanding on every I/O queue, retries reads failed by a transport error (data digest) up to
/// `readRetries` times, and reports each request's final status. Writes are not retried. When the
/// controller ends every connection, `run` still reports the statuses if every request has one
/// (those in flight: Transient Transport Error), else throws.
public final class NVMeHost {
    public let transport: any HostTransport
    public let options: HostOptions
    public let admin: HostQueue
    public private(set) var ioQueues: [HostQueue] = []
    public private(set) var controllerID: UInt16 = 0
    /// Identify Controller data.
    public private(set) var controllerData: [UInt8] = []
    public private(set) var blockSize = 512
    /// NSZE of namespace 1 (0 on a discovery controller).
    public private(set) var blockCount: UInt64 = 0
    /// The most data one command carries (MDTS, or `options.transferLimitWithoutMDTS` when MDTS is 0, and the
    /// 16-bit block count); `run` splits larger requests.
    public private(set) var maximumTransferBytes = Int.max
    private let clock = MonotonicTimeSource()
    private var lastKeepAlive: UInt64 = 0

    /// Connects to `options.subsystemNQN` (or, with `NQN.discovery`, to the discovery controller,
    /// without I/O queues).
    public init(transport: any HostTransport, options: HostOptions) throws(HostError) {
        self.transport = transport
        self.options = options
        admin = HostQueue(queueID: 0, entries: 32, headerDigest: options.headerDigest, dataDigest: options.dataDigest)
        try transport.open(admin)
        controllerID = try connect(admin, controllerID: 0xFFFF)
        let isDiscovery = options.subsystemNQN == NQN.discovery
        let capabilities = try execute(Command.propertyGet(ControllerProperty.capabilities, wide: true), on: admin)
        try check(capabilities)
        let pageExponent = try Self.memoryPageExponent(capabilities: capabilities.result)
        // Discovery controllers are enabled too: Linux's nvmet refuses any other command before CSTS.RDY.
        // EN, MPS (the smallest page the controller allows), IOSQES 64 B, IOCQES 16 B.
        let configuration = UInt64(1 | pageExponent << 7 | 6 << 16 | 4 << 20)
        try check(execute(Command.propertySet(ControllerProperty.configuration, value: configuration), on: admin))
        try waitUntilReady()
        controllerData = try identify(0x01)
        guard !isDiscovery else { return }
        let inCapsule = max(0, Int(controllerData.loadLittle(UInt32.self, at: 1792)) * 16 - SubmissionEntry.size)
        let wanted = UInt32(options.ioQueues - 1)
        let granted = try execute(Command.setFeature(FeatureID.numberOfQueues, value: wanted | wanted << 16), on: admin)
        try check(granted)
        let queues = min(options.ioQueues, Int(granted.result & 0xFFFF) + 1)
        let namespace = try identify(0x00, namespaceID: 1)
        blockCount = namespace.loadLittle(at: 0)
        blockSize = try Self.formattedBlockSize(namespace: namespace)
        // MDTS is in units of the memory page size set in CC.MPS (CAP.MPSMIN); NLB is 16 bits, so no command
        // carries more than 65536 blocks (≤ 4 GiB = 2^32): MDTS that pass 2^32 mean that limit. MDTS 0 (no limit)
        // means the host's own `transferLimitWithoutMDTS`, in whole blocks.
        let exponent = min(Int(controllerData[77]), 32 - 12 - pageExponent)
        let controllerLimit = exponent == 0
            ? max(blockSize, options.transferLimitWithoutMDTS / blockSize * blockSize)
            : 4096 << (pageExponent + exponent)
        maximumTransferBytes = min(65536 * blockSize, controllerLimit)
        for index in 1...queues {
            let queue = HostQueue(queueID: UInt16(index), entries: options.queueDepth, headerDigest: options.headerDigest,
                                  dataDigest: options.dataDigest)
            queue.inCapsuleLimit = inCapsule
            try transport.open(queue)
            _ = try connect(queue, controllerID: controllerID)
            ioQueues.append(queue)
        }
    }

    /// CC.MPS for a controller whose CAP is `capabilities`: MPSMIN (bits 51:48, pages of 2^(12 + MPSMIN)
    /// bytes), which must not exceed MPSMAX (bits 55:52).
    static func memoryPageExponent(capabilities: UInt64) throws(HostError) -> Int {
        let minimum = Int(capabilities >> 48 & 0xF), maximum = Int(capabilities >> 52 & 0xF)
        guard minimum <= maximum else {
            throw .unusableController("CAP.MPSMIN \(minimum) above CAP.MPSMAX \(maximum): no memory page size allowed")
        }
        return minimum
    }

    /// The block size of the LBA format the namespace is formatted with (Identify Namespace FLBAS:
    /// bits 3:0, and bits 6:5 as the index's upper bits when there are more than 16 formats, NLBAF ≥ 16).
    static func formattedBlockSize(namespace: [UInt8]) throws(HostError) -> Int {
        let formats = Int(namespace[25]) + 1, flbas = Int(namespace[26])
        let index = flbas & 0xF | (formats > 16 ? (flbas >> 5 & 0x3) << 4 : 0)
        guard index < formats, index < 64 else {
            throw .unusableController("Identify Namespace FLBAS selects LBA format \(index), NLBAF reports \(formats) format(s)")
        }
        let exponent = Int(namespace[128 + 4 * index + 2])  // LBAF's LBADS
        // The base spec supports no block below 512 bytes (LBADS 9); above 64 KiB (16) is this host's limit.
        guard (9...16).contains(exponent) else {
            throw .unusableController("Identify Namespace LBADS \(exponent) (LBA format \(index)): blocks of 512 B (9) to 64 KiB (16) only")
        }
        return 1 << exponent
    }

    /// Closes every queue (I/O queues first); the target tears the controller down.
    public func disconnect() {
        for queue in ioQueues { transport.close(queue) }
        transport.close(admin)
        ioQueues = []
    }

    /// Identify structure `structure` (CNS) for `namespaceID`: 4096 bytes.
    public func identify(_ structure: UInt8, namespaceID: UInt32 = 0) throws(HostError) -> [UInt8] {
        var data = [UInt8](repeating: 0, count: 4096)
        let entry = try data.withUnsafeMutableBytes { buffer in
            Result { () throws(HostError) in try execute(Command.identify(structure, namespaceID: namespaceID), on: admin, readBuffer: buffer) }
        }.get()
        try check(entry)
        return data
    }

    /// The discovery log page's entries (on a discovery controller).
    public func discoveryLog() throws(HostError) -> [DiscoveryEntry] {
        var header = try logPage(LogPageID.discovery, byteCount: 1024)
        let records = Int(min(header.loadLittle(UInt64.self, at: 8), 64))
        if records > 0 { header = try logPage(LogPageID.discovery, byteCount: 1024 * (records + 1)) }
        return DiscoveryLog.decode(header)
    }

    /// `byteCount` bytes of log page `page`.
    public func logPage(_ page: UInt8, byteCount: Int) throws(HostError) -> [UInt8] {
        var data = [UInt8](repeating: 0, count: byteCount)
        let entry = try data.withUnsafeMutableBytes { buffer in
            Result { () throws(HostError) in try execute(Command.getLogPage(page, byteCount: byteCount), on: admin, readBuffer: buffer) }
        }.get()
        try check(entry)
        return data
    }

    /// Runs one command on `queue` and waits for its completion.
    public func execute(_ command: SubmissionEntry, on queue: HostQueue, writeData: UnsafeRawBufferPointer? = nil,
                        readBuffer: UnsafeMutableRawBufferPointer? = nil) throws(HostError) -> CompletionEntry {
        var result: CompletionEntry?
        try waitForRoom(on: queue)
        guard queue.submit(command, writeData: writeData, readBuffer: readBuffer, completion: { result = $0 }) else {
            throw queue.failure ?? .invalidRequest("queue \(queue.queueID) is full")
        }
        try wait { result != nil }
        return result!
    }

    /// Runs `requests` across the I/O queues, up to queue depth on each; returns each one's final status.
    /// A request larger than `maximumTransferBytes` goes as several commands on its queue (its status: the
    /// first failure among them, else success). A request whose blocks run past the namespace's size (NSZE
    /// from Identify Namespace) or past LBA 2^64 - 1 gets LBA Out of Range without any of its commands being
    /// sent (no piece of a write straddling the end is stored). `submitted` hears of each request (by index) when
    /// its first command is handed to its queue (not again for a retry); `finished` hears of each request's final
    /// status as it arrives (by index). Throws `.timedOut` when no command completes for `options.timeoutMilliseconds`
    /// while some are outstanding (the I/O queues are then closed: no data lands in the buffers afterwards).
    public func run(_ requests: [BlockIO], finished: ((Int, NVMeStatus) -> Void)? = nil,
                    submitted: ((Int) -> Void)? = nil) throws(HostError) -> [NVMeStatus] {
        var commands: [BlockIO] = []
        var owners: [Int] = []
        var statuses = [NVMeStatus](repeating: .success, count: requests.count)
        for (index, request) in requests.enumerated() {
            guard request.buffer.count % blockSize == 0, request.buffer.count > 0 else {
                throw .invalidRequest("request \(index): \(request.buffer.count) bytes is not a whole number of \(blockSize)-byte blocks")
            }
            let blocks = UInt64(request.buffer.count / blockSize)
            let endsInNamespace = blockCount == 0 || request.lba < blockCount && blocks <= blockCount - request.lba
            guard request.lba <= UInt64.max - (blocks - 1), endsInNamespace else {
                statuses[index] = .lbaOutOfRange
                finished?(index, .lbaOutOfRange)
                continue
            }
            var offset = 0
            while offset < request.buffer.count {
                let length = min(maximumTransferBytes, request.buffer.count - offset)
                var piece = request
                piece.lba = request.lba + UInt64(offset / blockSize)
                piece.buffer = UnsafeMutableRawBufferPointer(rebasing: request.buffer[offset..<(offset + length)])
                piece.queue = request.queue ?? index
                commands.append(piece)
                owners.append(index)
                offset += length
            }
        }
        var left = [Int](repeating: 0, count: requests.count)
        for owner in owners { left[owner] += 1 }
        var began = [Bool](repeating: false, count: submitted == nil ? 0 : requests.count)
        let firstSubmission = submitted.map { submitted in { (command: Int) in
            let owner = owners[command]
            guard !began[owner] else { return }
            began[owner] = true
            submitted(owner)
        } }
        try runCommands(commands, submitted: firstSubmission) { command, status in
            let owner = owners[command]
            if statuses[owner].isSuccess { statuses[owner] = status }
            left[owner] -= 1
            if left[owner] == 0 { finished?(owner, statuses[owner]) }
        }
        return statuses
    }

    /// Runs `requests` (each within `maximumTransferBytes`), up to queue depth on each queue, telling
    /// `submitted` of each submission (retries too) and `finished` each one's final status (reads failed by a
    /// transport error retried).
    private func runCommands(_ requests: [BlockIO], submitted: ((Int) -> Void)?,
                             finished: @escaping (Int, NVMeStatus) -> Void) throws(HostError) {
        guard !ioQueues.isEmpty else { throw .invalidRequest("no I/O queue") }
        var attempts = [Int](repeating: 0, count: requests.count)
        var waiting = Array(requests.indices.reversed())
        var done = 0
        var deadline = clock.now() &+ UInt64(options.timeoutMilliseconds) * 1_000_000
        // One handler for every command of the run (a closure per command would be an allocation per I/O).
        let completed: HostQueue.TaggedCompletion = { index, entry in
            attempts[index] += 1
            if requests[index].kind == .read && entry.status == .transientTransportError && attempts[index] <= self.options.readRetries {
                waiting.append(index)
            } else {
                done += 1
                finished(index, entry.status)
            }
        }
        for queue in ioQueues { queue.taggedCompletion = completed }
        defer { for queue in ioQueues { queue.taggedCompletion = nil } }
        while done < requests.count {
            let doneBefore = done
            var didSubmit = false
            while let index = waiting.last {
                let request = requests[index]
                let queue = ioQueues[(request.queue ?? index) % ioQueues.count]
                if queue.isFinished { throw queue.failure ?? .connection("queue \(queue.queueID) closed") }
                if queue.isFull { break }
                let opcode = request.kind == .read ? IOOpcode.read : IOOpcode.write
                let command = Command.blocks(opcode, lba: request.lba, blocks: request.buffer.count / blockSize)
                queue.submit(command, writeData: request.kind == .write ? UnsafeRawBufferPointer(request.buffer) : nil,
                             readBuffer: request.kind == .read ? request.buffer : nil, tag: index)
                waiting.removeLast()
                submitted?(index)
                didSubmit = true
            }
            if done < requests.count && !didSubmit || waiting.isEmpty {
                do {
                    try service()
                } catch {
                    // The controller is gone (Linux's nvmet ends every connection on a fatal error such as a bad
                    // H2CData digest): the I/O queues go too, their commands completing with Transient Transport Error.
                    abandonIOQueues()
                    guard done == requests.count else { throw error }
                }
            }
            if done != doneBefore || didSubmit {
                deadline = clock.now() &+ UInt64(options.timeoutMilliseconds) * 1_000_000
            } else if clock.now() >= deadline {
                // The controller answers nothing: give up on every command in flight before the caller's buffers go.
                abandonIOQueues()
                throw .timedOut
            }
        }
    }

    /// Closes every I/O queue still open; their outstanding commands complete with Transient Transport Error.
    private func abandonIOQueues() {
        for queue in ioQueues where !queue.isFinished {
            transport.close(queue)
            queue.close()
        }
    }

    // MARK: internals

    private func connect(_ queue: HostQueue, controllerID: UInt16) throws(HostError) -> UInt16 {
        let data = Command.connectData(controllerID: controllerID, subsystemNQN: options.subsystemNQN, hostNQN: options.hostNQN)
        let keepAlive = queue.queueID == 0 ? options.keepAliveMilliseconds : 0
        let command = Command.connect(queueID: queue.queueID, entries: queue.entries, keepAliveMilliseconds: keepAlive)
        let entry = try data.withUnsafeBytes { bytes in
            Result { () throws(HostError) in try execute(command, on: queue, writeData: bytes) }
        }.get()
        try check(entry)
        return UInt16(truncatingIfNeeded: entry.result)
    }

    private func waitUntilReady() throws(HostError) {
        let deadline = clock.now() &+ UInt64(options.timeoutMilliseconds) * 1_000_000
        while clock.now() < deadline {
            let status = try execute(Command.propertyGet(ControllerProperty.status), on: admin)
            try check(status)
            if status.result & 1 != 0 { return }
        }
        throw .timedOut
    }

    private func check(_ entry: CompletionEntry) throws(HostError) {
        guard entry.status.isSuccess else { throw .command(entry.status) }
    }

    private func waitForRoom(on queue: HostQueue) throws(HostError) {
        try wait { !queue.isFull || queue.isFinished }
    }

    /// Pumps until `condition` holds; fails on timeout or when the admin queue ended.
    private func wait(until condition: () -> Bool) throws(HostError) {
        let deadline = clock.now() &+ UInt64(options.timeoutMilliseconds) * 1_000_000
        while !condition() {
            guard clock.now() < deadline else { throw .timedOut }
            try service()
        }
    }

    /// Moves bytes once (waiting up to `timeoutMilliseconds`) and sends Keep Alive when due: what an
    /// idle host calls to keep its controller alive.
    public func service(timeoutMilliseconds: Int32 = 10) throws(HostError) {
        try transport.pump(timeoutMilliseconds: timeoutMilliseconds)
        if admin.isFinished { throw admin.failure ?? .connection("admin queue closed") }
        sendKeepAliveIfDue()
    }

    /// Sends Keep Alive on the admin queue at half the keep-alive timeout (its completion is not awaited).
    private func sendKeepAliveIfDue() {
        guard options.keepAliveMilliseconds > 0, !admin.isFull else { return }
        let now = clock.now()
        guard now &- lastKeepAlive >= UInt64(options.keepAliveMilliseconds) * 500_000 else { return }
        lastKeepAlive = now
        admin.submit(Command.admin(AdminOpcode.keepAlive)) { _ in }
    }
}
