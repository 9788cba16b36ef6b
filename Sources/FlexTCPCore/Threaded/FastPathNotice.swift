/// A message from a fast path on its own thread to the slow path (the reverse direction of the
/// `FlowCommand` ring).
///
/// Contract: a trivial value carried bitwise in a `ValueRing` between threads of one process.
enum FastPathNotice {
    /// A flow event of `flow` reported a FIN (arrived or acknowledged): the slow path moves the
    /// connection on from the flow's snapshot (published before the notice).
    case finReported(FlowIndex)
    /// The context command with `ticket` is carried out (`succeeded`: a move found its flow).
    case confirmed(ticket: UInt32, succeeded: Bool)
}
