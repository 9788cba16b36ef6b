import Synchronization

/// One controller of the target (dynamic model: made by an admin-queue Connect): the host it
/// belongs to, its properties, features, keep-alive timer and pending Async Event Requests. Shared
/// by the connections of its admin and I/O queues, which may run on different threads.
///
/// Contract: every method takes the controller's lock; `isTornDown` once its admin queue
/// disconnected or its keep-alive timer expired — its I/O queues' connections then close.
public final class TargetController: Sendable {
    public let id: UInt16
    public let hostNQN: String
    public let isDiscovery: Bool
    private let state: Mutex<State>

    struct State {
        var configuration: UInt32 = 0
        var status: UInt32 = 0
        var keepAliveMilliseconds: UInt32
        var lastKeepAlive: UInt64
        var grantedIOQueues: Int
        var asyncEventConfiguration: UInt32 = 0
        var pendingAsyncEvents = 0
        var tornDown = false
    }

    init(id: UInt16, hostNQN: String, isDiscovery: Bool, keepAliveMilliseconds: UInt32, grantedIOQueues: Int, now: UInt64) {
        self.id = id
        self.hostNQN = hostNQN
        self.isDiscovery = isDiscovery
        state = Mutex(State(keepAliveMilliseconds: keepAliveMilliseconds, lastKeepAlive: now, grantedIOQueues: grantedIOQueues))
    }

    public var isTornDown: Bool { state.withLock { $0.tornDown } }
    /// The I/O queues the host may connect (Set Features Number of Queues may lower it).
    public var grantedIOQueues: Int { state.withLock { $0.grantedIOQueues } }
    public var isEnabled: Bool { state.withLock { $0.status & 1 != 0 } }

    /// Ends the controller (admin queue gone or keep-alive expired).
    func tearDown() { state.withLock { $0.tornDown = true } }

    /// Restarts the keep-alive timer (Keep Alive command and every other admin command).
    func keepAlive(now: UInt64) { state.withLock { $0.lastKeepAlive = now } }

    /// Tears the controller down if its keep-alive timeout passed without a Keep Alive; returns whether it is torn down.
    func checkKeepAlive(now: UInt64) -> Bool {
        state.withLock { state in
            if !state.tornDown, state.keepAliveMilliseconds > 0,
               now &- state.lastKeepAlive > UInt64(state.keepAliveMilliseconds) * 1_000_000 {
                state.tornDown = true
            }
            return state.tornDown
        }
    }

    /// Property Get: the value at `offset`, or nil for an offset the target does not have.
    func property(at offset: UInt32, configuration target: TargetConfiguration) -> UInt64? {
        state.withLock { state in
            switch offset {
            case ControllerProperty.capabilities:
                // MQES, CQR, TO (15 s), CSS: NVM command set; MPSMIN = MPSMAX = 4 KiB.
                UInt64(target.maximumQueueEntries - 1) | 1 << 16 | 30 << 24 | 1 << 37
            case ControllerProperty.version: UInt64(ControllerProperty.versionValue)
            case ControllerProperty.configuration: UInt64(state.configuration)
            case ControllerProperty.status: UInt64(state.status)
            default: nil
            }
        }
    }

    /// Property Set: CC (enabling, shutting down); false for any other offset.
    func setProperty(at offset: UInt32, value: UInt64) -> Bool {
        guard offset == ControllerProperty.configuration else { return false }
        state.withLock { state in
            let configuration = UInt32(truncatingIfNeeded: value)
            state.configuration = configuration
            var status = configuration & 1  // RDY follows EN
            if (configuration >> 14) & 3 != 0 { status |= 2 << 2 }  // shutdown complete
            state.status = status
        }
        return true
    }

    /// Set Features Number of Queues: grants at most `maximum`; returns the granted count.
    func requestQueues(_ wanted: Int, maximum: Int) -> Int {
        state.withLock { state in
            state.grantedIOQueues = min(wanted, maximum)
            return state.grantedIOQueues
        }
    }

    var keepAliveMilliseconds: UInt32 {
        get { state.withLock { $0.keepAliveMilliseconds } }
    }

    func setKeepAlive(milliseconds: UInt32) { state.withLock { $0.keepAliveMilliseconds = milliseconds } }

    var asyncEventConfiguration: UInt32 {
        get { state.withLock { $0.asyncEventConfiguration } }
    }

    func setAsyncEventConfiguration(_ value: UInt32) { state.withLock { $0.asyncEventConfiguration = value } }

    /// Takes an Async Event Request (held until an event occurs); false past the limit (AERL + 1 = 4).
    func holdAsyncEventRequest() -> Bool {
        state.withLock { state in
            guard state.pendingAsyncEvents < 4 else { return false }
            state.pendingAsyncEvents += 1
            return true
        }
    }
}
