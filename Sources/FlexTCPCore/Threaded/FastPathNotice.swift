import FlexPort

/// A message from a fast path on its own thread to the slow path (the reverse direction of the
/// `FlowCommand` ring).
///
/// Contract: a trivial value carried bitwise in a frame ring slot of `FastPathNotice.size` bytes
/// between threads of one process.
enum FastPathNotice {
    /// A flow event reported a FIN (arrived or acknowledged): the slow path reads the snapshots.
    case finReported
    /// The context command with `ticket` is carried out (`succeeded`: a move found its flow).
    case confirmed(ticket: UInt32, succeeded: Bool)

    static var size: Int { MemoryLayout<FastPathNotice>.size }

    func store(to frame: inout Frame) {
        frame.bytes.storeBytes(of: self, as: FastPathNotice.self)
        frame.length = FastPathNotice.size
    }

    /// The notice in a received slot; nil for a slot of another length.
    init?(loading frame: Frame) {
        guard frame.length == FastPathNotice.size else { return nil }
        self = frame.bytes.loadUnaligned(as: FastPathNotice.self)
    }
}
