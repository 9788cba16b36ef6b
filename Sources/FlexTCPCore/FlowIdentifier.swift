/// The index of a flow's slot in the fast path's flow state array.
///
/// Contract: a plain index in `0..<capacity` of the table that issued it; it names the same flow
/// until the slow path removes that flow, after which it may be reused for another.
@usableFromInline package typealias FlowIndex = UInt32
