import Synchronization

/// The target's shared state: its configuration, namespace 1, the controllers connected hosts made,
/// and the counts of terminations and digest errors over all connections. Transports make one
/// `TargetConnection` per TCP connection on it.
///
/// Contract: thread-safe; controllers get IDs 1...0xFFEF, reused only after teardown.
public final class NVMeTarget: Sendable {
    public let configuration: TargetConfiguration
    public let namespace: any NamespaceStorage
    private let controllers = Mutex<[UInt16: TargetController]>([:])
    private let nextID = Mutex<UInt16>(1)
    private let totals = Mutex(ProtocolCounters())
    private let completedWrites = Mutex(0)

    public init(configuration: TargetConfiguration, namespace: any NamespaceStorage) {
        self.configuration = configuration
        self.namespace = namespace
    }

    /// Counts over every connection so far (closed ones included).
    public var counters: ProtocolCounters { totals.withLock { $0 } }
    /// Write commands completed successfully (their data durable as the namespace promises).
    public var writesCompleted: Int { completedWrites.withLock { $0 } }

    func add(_ counters: ProtocolCounters) { totals.withLock { $0.add(counters) } }
    func countWriteCompleted() { completedWrites.withLock { $0 += 1 } }

    /// The identity of namespace 1.
    var namespaceIdentity: NamespaceIdentity {
        var guid = [UInt8](repeating: 0, count: 16)
        for (index, byte) in configuration.subsystemNQN.utf8.enumerated() { guid[index % 16] = guid[index % 16] &* 31 &+ byte }
        guid[0] |= 1
        return NamespaceIdentity(blockCount: namespace.blockCount, blockSize: namespace.blockSize, guid: guid)
    }

    /// Makes a controller for an admin-queue Connect.
    func makeController(hostNQN: String, isDiscovery: Bool, keepAliveMilliseconds: UInt32, now: UInt64) -> TargetController? {
        controllers.withLock { table in
            var id: UInt16 = nextID.withLock { next in
                let id = next
                next = next >= 0xFFEF ? 1 : next + 1
                return id
            }
            var tries = 0
            while table[id] != nil {
                tries += 1
                guard tries < 0xFFEF else { return nil }
                id = id >= 0xFFEF ? 1 : id + 1
            }
            let controller = TargetController(id: id, hostNQN: hostNQN, isDiscovery: isDiscovery, keepAliveMilliseconds: keepAliveMilliseconds,
                                              grantedIOQueues: isDiscovery ? 0 : configuration.maximumIOQueues, now: now)
            table[id] = controller
            return controller
        }
    }

    /// The live controller `id` of `hostNQN`, for an I/O-queue Connect.
    func controller(_ id: UInt16, hostNQN: String) -> TargetController? {
        controllers.withLock { table in
            guard let controller = table[id], controller.hostNQN == hostNQN, !controller.isTornDown else { return nil }
            return controller
        }
    }

    /// Tears `controller` down and forgets it.
    func remove(_ controller: TargetController) {
        controller.tearDown()
        controllers.withLock { table in
            if table[controller.id] === controller { table[controller.id] = nil }
        }
    }
}
