import FlexWire

/// Where a PDU's data goes, as the endpoint decides on seeing its header.
public enum DataPlacement {
    /// Read and dropped (digest still checked).
    case discard
    /// Placed into this buffer (exactly the data's length) as it arrives.
    case streamed(UnsafeMutableRawBufferPointer)
    /// Placed into this buffer only after the data digest matched: the reader waits until the whole
    /// data and digest are received (they must fit the transport's buffer), checks the digest in
    /// place and then copies once. What a durable namespace needs: nothing unverified is stored.
    case verifiedFirst(UnsafeMutableRawBufferPointer)
}

/// What a `PDUReader` delivers to: the header of each PDU, then its completion.
public protocol PDUHandler: AnyObject {
    /// A PDU's header arrived, valid and digest-checked; returns where its `dataLength` bytes go.
    func receivedHeader(_ header: PDUHeader, flags: UInt8, dataLength: Int) throws(Termination) -> DataPlacement
    /// The PDU is complete. `dataIntact` is false when its data digest did not match (verified-first
    /// data was then not placed).
    func receivedPDU(_ header: PDUHeader, flags: UInt8, dataIntact: Bool) throws(Termination)
}

/// An incremental NVMe/TCP PDU reader (a class: its handler may change it, e.g. `establish`, while it delivers) over a byte stream: it validates every common-header field
/// (type and direction, HLEN, FLAGS, PDO, PLEN, digests as negotiated), checks the header digest,
/// decodes the PDU-specific header and places the data where the endpoint says, checking the data
/// digest over the bytes in place (in the transport's buffer or receive ring; the header alone is
/// staged, at most 132 bytes).
///
/// Contract: `consume` takes the bytes a transport lent and advances over what it used — all of
/// them, except the tail of a `verifiedFirst` PDU not yet complete, which the transport keeps and
/// lends again with what follows. Any malformed field throws the `Termination` to send; the reader
/// is then dead. Offload hooks: `markCurrentPDU(digestVerified:dataPlaced:)` tells it a NIC already
/// checked the data digest or placed the data (it then skips the CRC or the copy); `directDestination`
/// and `didPlaceDirectly` let a transport receive large data straight into its destination.
public final class PDUReader {
    private enum State { case commonHeader, header, padding, data, dataDigest }

    /// Which side reads: a controller reads host PDUs, a host reads controller PDUs.
    public let readsHostPDUs: Bool
    /// Digests negotiated by ICReq/ICResp (from then on required on every PDU that uses them).
    public private(set) var headerDigest = false
    public private(set) var dataDigest = false
    /// The PDU data alignment we asked the peer for (0's based dwords).
    public var requiredAlignment: UInt8 = 0
    /// Whether the connection is initialized (ICReq/ICResp exchanged).
    public private(set) var isInitialized = false
    /// Bytes the transport can hold unconsumed: the largest verified-first data plus digest it can wait for.
    public let bufferCapacity: Int

    private var state = State.commonHeader
    private var common = CommonHeader(rawType: 0, flags: 0, headerLength: 0, dataOffset: 0, totalLength: 0)
    private var decoded: PDUHeader?
    private let staging: UnsafeMutableRawBufferPointer
    private var staged = 0
    private var remaining = 0
    private var placement = DataPlacement.discard
    private var placed = 0
    private var crcState = CRC32C.initialState
    private var offloadDigestVerified = false
    private var offloadDataPlaced = false

    public init(readsHostPDUs: Bool, bufferCapacity: Int) {
        self.readsHostPDUs = readsHostPDUs
        self.bufferCapacity = bufferCapacity
        staging = .allocate(byteCount: 256, alignment: 8)
    }

    deinit { staging.deallocate() }

    /// Records the digests ICReq/ICResp negotiated; every later PDU must carry them.
    public func establish(headerDigest: Bool, dataDigest: Bool) {
        self.headerDigest = headerDigest
        self.dataDigest = dataDigest
        isInitialized = true
    }

    /// Offload hook: the PDU now being received had its data digest verified (`digestVerified`) or
    /// its data placed in its destination (`dataPlaced`) by the NIC.
    public func markCurrentPDU(digestVerified: Bool, dataPlaced: Bool) {
        offloadDigestVerified = digestVerified
        offloadDataPlaced = dataPlaced
    }

    /// Consumes what it can of `input` (see the type's contract).
    public func consume<Handler: PDUHandler>(_ input: inout InputBytes, handler: Handler) throws(Termination) {
        while input.count > 0 {
            switch state {
            case .commonHeader, .header:
                let wanted = (state == .commonHeader ? CommonHeader.size : headerTotal) - staged
                let taken = min(wanted, input.count)
                input.copy(taken, to: staging.baseAddress! + staged)
                input.advance(taken)
                staged += taken
                guard taken == wanted else { return }
                if state == .commonHeader { try beginHeader() } else { try finishHeader(handler) }
            case .padding:
                let taken = min(remaining, input.count)
                input.advance(taken)
                remaining -= taken
                if remaining == 0 { try beginData(handler) }
            case .data:
                if case .verifiedFirst(let destination) = placement, !offloadDigestVerified {
                    guard input.count >= remaining + 4 else { return }
                    let expected = CRC32C.finish(input.crc(CRC32C.initialState, remaining))
                    var digest: UInt32 = 0
                    withUnsafeMutableBytes(of: &digest) { bytes in
                        var rest = input
                        rest.advance(remaining)
                        rest.copy(4, to: bytes.baseAddress!)
                    }
                    let intact = UInt32(littleEndian: digest) == expected
                    if intact && !offloadDataPlaced { input.copy(remaining, to: destination.baseAddress!) }
                    input.advance(remaining + 4)
                    try finishPDU(handler, intact: intact)
                    continue
                }
                let taken = min(remaining, input.count)
                place(taken, from: input)
                input.advance(taken)
                try dataAdvanced(taken, handler)
            case .dataDigest:
                let taken = min(4 - staged, input.count)
                input.copy(taken, to: staging.baseAddress! + staged)
                input.advance(taken)
                staged += taken
                guard staged == 4 else { return }
                let received: UInt32 = UnsafeRawBufferPointer(staging).loadLittle(at: 0)
                try finishPDU(handler, intact: offloadDigestVerified || received == CRC32C.finish(crcState))
            }
        }
    }

    /// `consume`, with a termination returned instead of thrown (the endpoints' entry point).
    public func deliver<Handler: PDUHandler>(_ input: inout InputBytes, to handler: Handler) -> Termination? {
        do throws(Termination) {
            try consume(&input, handler: handler)
            return nil
        } catch {
            return error
        }
    }

    /// `didPlaceDirectly`, with a termination returned instead of thrown.
    public func deliverPlaced<Handler: PDUHandler>(_ byteCount: Int, to handler: Handler) -> Termination? {
        do throws(Termination) {
            try didPlaceDirectly(byteCount, handler: handler)
            return nil
        } catch {
            return error
        }
    }

    /// Where a transport may receive the rest of the current PDU's data directly (at least `minimum`
    /// bytes of it remain, placement is streamed and nothing is buffered ahead of it); nil otherwise.
    public func directDestination(minimum: Int) -> UnsafeMutableRawBufferPointer? {
        guard state == .data, remaining >= minimum, case .streamed(let destination) = placement else { return nil }
        return UnsafeMutableRawBufferPointer(rebasing: destination[placed..<(placed + remaining)])
    }

    /// The transport received `byteCount` bytes straight into `directDestination`'s buffer.
    public func didPlaceDirectly<Handler: PDUHandler>(_ byteCount: Int, handler: Handler) throws(Termination) {
        guard case .streamed(let destination) = placement else { return }
        if dataDigest && !offloadDigestVerified {
            crcState = CRC32C.update(crcState, UnsafeRawBufferPointer(rebasing: destination[placed..<(placed + byteCount)]))
        }
        placed += byteCount
        try dataAdvanced(byteCount, handler)
    }

    // MARK: steps

    private var headerTotal: Int { Int(common.headerLength) + (common.hasHeaderDigest ? 4 : 0) }
    /// Where the current PDU's data begins (termination requests: right after the header).
    private var dataStart: Int {
        // Raw types compared: no enum conversion on every data step.
        let isTermination = common.rawType == PDUType.h2cTermReq.rawValue || common.rawType == PDUType.c2hTermReq.rawValue
        return isTermination || Int(common.totalLength) == headerTotal ? headerTotal : Int(common.dataOffset)
    }
    /// Bytes of the current PDU's data.
    private var dataLength: Int { Int(common.totalLength) - dataStart - (common.hasDataDigest ? 4 : 0) }

    /// Validates the common header just staged.
    private func beginHeader() throws(Termination) {
        common = CommonHeader(UnsafeRawBufferPointer(staging))
        guard let type = common.type else { throw Termination(.invalidHeaderField, field: 0, .unknownPDUType) }
        guard type.isHostToController == readsHostPDUs else { throw Termination(.invalidHeaderField, field: 0, .wrongDirection) }
        let isInitialization = type == .icReq || type == .icResp
        let isTermination = type == .h2cTermReq || type == .c2hTermReq
        if isInitialization && isInitialized { throw Termination(.pduSequenceError, .initializationRepeated) }
        if !isInitialization && !isTermination && !isInitialized { throw Termination(.pduSequenceError, .initializationMissing) }
        guard Int(common.headerLength) == type.headerLength else { throw Termination(.invalidHeaderField, field: 2, .headerLengthMismatch) }
        var allowed: UInt8 = type.usesDigests ? PDUFlags.headerDigest | PDUFlags.dataDigest : 0
        if type == .h2cData || type == .c2hData { allowed |= PDUFlags.lastPDU }
        if type == .c2hData { allowed |= PDUFlags.success }
        guard common.flags & ~allowed == 0 else { throw Termination(.invalidHeaderField, field: 1, .reservedFlags) }
        if type.usesDigests && common.hasHeaderDigest != headerDigest { throw Termination(.invalidHeaderField, field: 1, .digestFlagMismatch) }
        let total = Int(common.totalLength)
        let headerEnd = headerTotal
        if isInitialization {
            guard total == type.headerLength else { throw Termination(.invalidHeaderField, field: 4, .totalLengthInvalid) }
        } else if isTermination {
            guard total >= headerEnd, total - headerEnd <= 152 else { throw Termination(.invalidHeaderField, field: 4, .totalLengthInvalid) }
        } else if total > headerEnd {
            let digestLength = common.hasDataDigest ? 4 : 0
            guard type.mayCarryData else { throw Termination(.invalidHeaderField, field: 4, .totalLengthInvalid) }
            guard common.hasDataDigest == dataDigest else { throw Termination(.invalidHeaderField, field: 1, .digestFlagMismatch) }
            let offset = Int(common.dataOffset)
            let unit = (Int(requiredAlignment) + 1) * 4
            guard offset >= headerEnd, offset % unit == 0 || requiredAlignment == 0 else {
                throw Termination(.invalidHeaderField, field: 3, .dataOffsetInvalid)
            }
            guard total > offset + digestLength else { throw Termination(.invalidHeaderField, field: 4, .totalLengthInvalid) }
        } else {
            guard total == headerEnd else { throw Termination(.invalidHeaderField, field: 4, .totalLengthInvalid) }
            guard !common.hasDataDigest else { throw Termination(.invalidHeaderField, field: 1, .digestFlagMismatch) }
            guard common.dataOffset == 0 || Int(common.dataOffset) == headerEnd else {
                throw Termination(.invalidHeaderField, field: 3, .dataOffsetInvalid)
            }
        }
        state = .header
    }

    /// Checks the header digest, decodes the header and asks the handler where the data goes.
    private func finishHeader<Handler: PDUHandler>(_ handler: Handler) throws(Termination) {
        let length = Int(common.headerLength)
        let header = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(staging)[0..<length])
        if common.hasHeaderDigest {
            let received: UInt32 = UnsafeRawBufferPointer(staging).loadLittle(at: length)
            guard received == CRC32C.checksum(header) else { throw Termination(.headerDigestError, field: 0, .headerDigestMismatch) }
        }
        let type = common.type!
        decoded = try PDUHeader.decode(type, header)
        let dataLength = dataLength
        placement = try handler.receivedHeader(decoded!, flags: common.flags, dataLength: dataLength)
        if case .verifiedFirst(let destination) = placement {
            guard destination.count == dataLength else { preconditionFailure("PDUReader: placement of the wrong size") }
            if !dataDigest || dataLength + 4 > bufferCapacity { placement = .streamed(destination) }
        } else if case .streamed(let destination) = placement {
            guard destination.count == dataLength else { preconditionFailure("PDUReader: placement of the wrong size") }
        }
        placed = 0
        crcState = CRC32C.initialState
        remaining = dataStart - headerTotal
        state = .padding
        if remaining == 0 { try beginData(handler) }
    }

    private func beginData<Handler: PDUHandler>(_ handler: Handler) throws(Termination) {
        remaining = dataLength
        state = .data
        if remaining == 0 { try finishPDU(handler, intact: true) }
    }

    /// Copies (or, placed by a NIC, skips) and checksums `byteCount` bytes of data at the front of `input`.
    private func place(_ byteCount: Int, from input: InputBytes) {
        if common.hasDataDigest && !offloadDigestVerified { crcState = input.crc(crcState, byteCount) }
        if case .streamed(let destination) = placement, !offloadDataPlaced { input.copy(byteCount, to: destination.baseAddress! + placed) }
        placed += byteCount
    }

    private func dataAdvanced<Handler: PDUHandler>(_ byteCount: Int, _ handler: Handler) throws(Termination) {
        remaining -= byteCount
        guard remaining == 0 else { return }
        if common.hasDataDigest {
            state = .dataDigest
            staged = 0
        } else {
            try finishPDU(handler, intact: true)
        }
    }

    private func finishPDU<Handler: PDUHandler>(_ handler: Handler, intact: Bool) throws(Termination) {
        let header = decoded!
        let flags = common.flags
        state = .commonHeader
        staged = 0
        decoded = nil
        placement = .discard
        offloadDigestVerified = false
        offloadDataPlaced = false
        try handler.receivedPDU(header, flags: flags, dataIntact: intact)
    }
}
