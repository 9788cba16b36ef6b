import FlexTCPCore
import FlexWire

extension FlexTCPStack {
    /// Which thread runs a stack embedded in this process.
    public enum Threading: Sendable, Hashable {
        /// The stack starts a thread of its own that runs it to completion; the application's
        /// threads sleep in `Context.wait` and are woken across threads when events arrive.
        case stackThread
        /// The stack starts no thread: one application thread runs it to completion together with
        /// its own contexts, in a loop of `FlexTCPStack.poll()`, its contexts' `poll` and `flush`,
        /// and `FlexTCPStack.waitForWork(timeout:)` when neither did anything. Saves the
        /// cross-thread wake-up per event; the stack makes no progress while nobody polls it (so the
        /// driving thread waits in `waitForWork`, never in its contexts' `wait`). Contexts on other
        /// threads and the async API work as with `.stackThread`: they wake the driving thread.
        case applicationDriven
    }

    /// What a stack needs besides its port: its address, and how much it holds.
    ///
    /// Contract: a plain value, checked when a stack starts (`StackSetupError.invalidConfiguration`
    /// names the first bad value). Memory is fixed at start: every connection slot gets a receive and
    /// a send buffer of the given sizes.
    public struct Configuration: Sendable {
        /// This stack's address and prefix length, "A.B.C.D/P" (any unicast host address of its subnet).
        public var address: String
        /// The default gateway (inside the subnet); nil: only the subnet is reachable.
        public var gateway: IPv4Address?
        /// Connections held at once, TIME_WAIT included.
        public var connectionCapacity = 256
        /// Bytes of each connection's receive buffer (the largest window advertised).
        public var receiveBufferSize = 64 * 1024
        /// Bytes of each connection's send buffer (the most kept unacknowledged).
        public var sendBufferSize = 64 * 1024
        /// Low-level contexts `makeContext()` may hand out, besides the async API's own.
        public var contextCount = 1
        /// Whether the stack runs on a thread of its own or on the application's (`Threading`).
        public var threading = Threading.stackThread
        /// Which threads run the stack with `threading` `.stackThread` (tests run both threaded
        /// schedules). `.callerDriven` starts no thread: the stack's owner drives the runtime and the
        /// async API round by round with `FlexTCPStack.step(now:)`, on its own clock (tests on
        /// virtual time). `threading` `.applicationDriven` overrides it.
        package var schedule = StackRuntime.Schedule.runToCompletion
        /// Changes to the core's configuration (timers), applied last; for tests.
        package var adjustCore: (@Sendable (inout StackConfiguration) -> Void)?

        /// A stack at `address` ("A.B.C.D/P"), with `gateway` as its default route.
        public init(address: String, gateway: IPv4Address? = nil) {
            self.address = address
            self.gateway = gateway
        }

        /// The runtime's schedule for `threading` and `schedule`.
        var runtimeSchedule: StackRuntime.Schedule { threading == .applicationDriven ? .callerDriven : schedule }

        /// The core's configuration for these values.
        func coreConfiguration() throws(StackSetupError) -> StackConfiguration {
            guard (1...65_536).contains(connectionCapacity) else { throw .invalidConfiguration("connectionCapacity must lie in 1...65536") }
            guard (0...255).contains(contextCount) else { throw .invalidConfiguration("contextCount must lie in 0...255") }
            for (name, size) in [("receiveBufferSize", receiveBufferSize), ("sendBufferSize", sendBufferSize)]
            where !(4096...(16 << 20)).contains(size) {
                throw .invalidConfiguration("\(name) must lie in 4096...16777216")
            }
            do {
                var configuration = StackConfiguration(interface: try InterfaceAddress(address), gateway: gateway)
                try configuration.network.validate()
                configuration.flowCapacity = connectionCapacity
                configuration.receiveRingSize = UInt32(receiveBufferSize)
                configuration.transmitRingSize = UInt32(sendBufferSize)
                adjustCore?(&configuration)
                return configuration
            } catch {
                throw .invalidConfiguration(String(describing: error))
            }
        }
    }
}
