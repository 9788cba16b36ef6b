import FlexPort
import FlexTCPCore
import FlexWire

/// The one place the tests build `StackRuntime`s and their stacks' configuration.
public enum TestRuntimes {
    /// The runtime tests' stack at `interface`: 32 connections, a 50 ms first retransmission
    /// timeout and a 100 ms TIME_WAIT.
    package static func configuration(_ interface: String) throws -> StackConfiguration {
        var configuration = StackConfiguration(interface: try InterfaceAddress(interface))
        configuration.flowCapacity = 32
        configuration.slowPath.initialRetransmissionTimeout = 50_000_000
        configuration.timeWaitDuration = 100_000_000
        return configuration
    }

    /// A runtime at `interface` on `port` with `contextCount` contexts; not started (caller-driven:
    /// step it; a threaded schedule: `start()` it).
    package static func make(port: any Port, interface: String, contextCount: Int, schedule: StackRuntime.Schedule = .callerDriven,
                            minimumIdleSlice: UInt64 = 20_000, maximumIdleSlice: UInt64 = 1_000_000) throws -> StackRuntime {
        try StackRuntime(port: port, configuration: configuration(interface), contextCount: contextCount,
                         minimumIdleSlice: minimumIdleSlice, maximumIdleSlice: maximumIdleSlice, schedule: schedule)
    }
}

/// Two runtimes on one `TestWire`, stepped round by round on the test's thread at virtual time
/// (no thread of their own): the client (A, 198.18.0.1) and the server (B, 198.18.0.2).
package typealias SteppedRuntimePair = WirePair<StackRuntime>

extension WirePair where End == StackRuntime {
    /// A client runtime with `clientContexts` contexts and a server runtime with `serverContexts`.
    package convenience init(clientContexts: Int = 1, serverContexts: Int = 1) throws {
        try self.init(link: TestWire()) { port, side in
            try TestRuntimes.make(port: port, interface: side.interface, contextCount: side == .a ? clientContexts : serverContexts)
        }
    }
}
