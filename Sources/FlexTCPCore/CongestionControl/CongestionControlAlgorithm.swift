/// A congestion control algorithm a stack can run for its flows: its parameters, and a fresh
/// controller for each established flow. A new algorithm is one file: a parameter type conforming
/// to this and its `CongestionController` (`DCTCPConfiguration` → `DCTCPRateController`,
/// `ConstantRatePolicy` → its controller).
///
/// Contract: `makeController()` returns a controller in its initial state, independent of every
/// other flow's; the parameters are immutable values, shared by every flow of a stack.
package protocol CongestionControlAlgorithm: Sendable {
    /// The controller for one newly established flow.
    func makeController() -> any CongestionController
}

extension DCTCPConfiguration: CongestionControlAlgorithm {
    package func makeController() -> any CongestionController { DCTCPRateController(configuration: self) }
}
