/// Two-operand arithmetic and logic. `multiply`, `divide` and `remainder` can be written but the
/// validator rejects them: the data path has no multiplier or divider (dissertation §3.3.1).
public enum BinaryOperation: String, Sendable, Equatable {
    case add, subtract, and, or, xor, shiftLeft, shiftRight
    case multiply, divide, remainder
}

/// Comparisons; the result is 1 or 0.
public enum Comparison: String, Sendable, Equatable {
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
}

/// The NIC's hash units.
public enum HashFunction: String, Sendable, Equatable {
    /// CRC32C (Castagnoli) over the bytes.
    case crc32c
    /// The RSS Toeplitz hash with the standard 40-byte key.
    case toeplitz
    /// Toeplitz over a 4-tuple (address, address, port, port) with each pair put in increasing order
    /// first, so both directions of a flow hash alike.
    case symmetricToeplitz
}

/// Which way a DMA request moves bytes.
public enum DMADirection: UInt64, Sendable, Equatable {
    case toHost = 0, fromHost = 1
}

/// One DMA request: `length` bytes at `packetOffset` in the packet, to or from host memory at `hostAddress`.
public struct DMARequest: Sendable, Equatable {
    public var packetOffset: Operand
    public var length: Operand
    public var direction: DMADirection
    public var hostAddress: Operand

    public init(packetOffset: Operand, length: Operand, direction: DMADirection, hostAddress: Operand) {
        self.packetOffset = packetOffset
        self.length = length
        self.direction = direction
        self.hostAddress = hostAddress
    }
}

/// One step of an action. Destinations are writable field names (packet or metadata fields).
public enum Primitive: Sendable, Equatable {
    case set(String, Operand)
    case binary(BinaryOperation, String, Operand, Operand)
    case not(String, Operand)
    case compare(Comparison, String, Operand, Operand)
    /// destination = condition != 0 ? whenTrue : whenFalse.
    case select(String, condition: Operand, Operand, Operand)
    case swap(String, String)
    /// A hash of the fields' bytes (each in its byte width, network order) into the destination.
    case hashFields(HashFunction, String, fields: [String])
    /// A hash of `length` bytes starting `offset` bytes after the end of `header` (clipped at the
    /// packet's end) into the destination.
    case hashPayload(HashFunction, String, after: String, offset: Int, length: Int)
    /// A hash of the bytes starting `offset` bytes after the end of `header`, as many as `length`
    /// holds when the packet is processed (e.g. a key length field) but at most `maximum`, clipped at
    /// the packet's end, into the destination.
    case hashPayloadRange(HashFunction, String, after: String, offset: Int, length: Operand, maximum: Int)
    case registerRead(String, array: String, index: Operand)
    case registerWrite(array: String, index: Operand, value: Operand)
    /// Adds `value` to the register and writes the new value into `result` if given.
    case registerAdd(array: String, index: Operand, value: Operand, result: String?)
    /// The free entries of software queue `queue` into the destination.
    case queueRoom(String, queue: Operand)
    case setQueue(Operand)
    case setBucket(Operand, tokens: Operand)
    case dma(DMARequest)
    case drop(reason: UInt8)
    case exception(reason: UInt8)
    /// Turns the packet (headers up to the end of `truncatingAfter`) into a reply: swap Ethernet and
    /// IPv4 addresses and recompute the IPv4 and TCP/UDP/DCCP checksums after all field writes, and
    /// transmit it. Swap ports and set fields with the other primitives.
    case reply(truncatingAfter: String)
    /// Skip to the named stage (forward only; backward would be a loop, which the validator rejects).
    case goToStage(String)
    /// Writing a match table from the data path: expressible, always rejected by the validator.
    case tableWrite(table: String, key: [Operand], action: String)
}
