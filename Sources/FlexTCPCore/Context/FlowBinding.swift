/// A connection's application binding: the context its events go to and the opaque that names it
/// there. The slow path's connection record owns it (`Connection`); the fast path keeps a delivery
/// copy (`FlowState.context` and `opaque`); entries and events carry it to say which connection
/// they mean.
package struct FlowBinding: Hashable, Sendable {
    package var context: UInt16
    package var opaque: UInt64

    @inlinable
    package init(context: UInt16, opaque: UInt64) {
        self.context = context
        self.opaque = opaque
    }
}
