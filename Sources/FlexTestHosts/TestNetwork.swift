#if canImport(Glibc)
import Synchronization

/// Network namespaces, veth pairs and interface names for one test, all removed afterwards.
///
/// Contract:
/// - `TestNetwork.with { net in ... }` removes everything on every exit path (normal return,
///   thrown error, failed expectation); `deinit` calls `teardown()` as a backstop.
/// - Names follow `TestHostNames` (prefix `ftx`, process id, run id; at most 15 characters), so
///   parallel tests and parallel runs never collide. The first network of a process removes what
///   dead runs left behind.
/// - Addresses are `TestAddress` values, so only 198.18.0.0/15 can be assigned.
/// - Sockets opened inside a namespace keep it alive until they are closed: close ports before
///   or when leaving the scope.
public final class TestNetwork: Sendable {
    /// The 12-character tag all names of this network start with.
    public let tag: String
    private let registry = TestHostRegistry()
    private let nextIndex = Mutex(0)

    public init() {
        Self.removeLeftoversOnce()
        tag = TestHostNames.makeNetworkTag()
        TerminationCleanup.track(ObjectIdentifier(self), registry: registry)
    }

    deinit {
        TerminationCleanup.forget(ObjectIdentifier(self))
        teardown()
    }

    /// From now on SIGINT, SIGTERM and SIGHUP remove every test network still alive, then end the
    /// process with 128 + the signal's number (for programs that build test hosts — benchmarks, tools —
    /// so an interrupted run leaves nothing behind). Idempotent.
    public static func removeAllOnTermination() { TerminationCleanup.install() }

    /// Runs `body` with a fresh network and removes the network however `body` ends.
    public static func with<Result>(_ body: (TestNetwork) throws -> Result) throws -> Result {
        let network = TestNetwork()
        defer { network.teardown() }
        return try body(network)
    }

    /// A new, empty namespace with its loopback interface up and IPv6 off (so the kernel sends no
    /// router solicitations or multicast reports that tests would have to filter out).
    public func makeNamespace() throws(TestHostError) -> TestNamespace {
        let name = makeName(kind: "n")
        registry.record(namespace: name)
        try RootNamespace.ipChecked(["netns", "add", name])
        let namespace = TestNamespace(name: name, registry: registry)
        try namespace.bringUp("lo")
        try namespace.runChecked(["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"])
        return namespace
    }

    /// A veth pair with one end in each namespace, both ends up, no addresses.
    public func makeVethPair(between first: TestNamespace, and second: TestNamespace) throws(TestHostError) -> VethPair {
        let pair = VethPair(first: VethEnd(name: makeName(kind: "v"), namespace: first),
                            second: VethEnd(name: makeName(kind: "v"), namespace: second))
        try RootNamespace.ipChecked(["link", "add", pair.first.name, "netns", first.name, "type", "veth",
                                     "peer", "name", pair.second.name, "netns", second.name])
        try first.bringUp(pair.first.name)
        try second.bringUp(pair.second.name)
        return pair
    }

    /// A fresh interface name (e.g. for a TAP device), deleted at teardown if it still exists in
    /// the root namespace. Interfaces inside a test namespace go with the namespace.
    public func makeInterfaceName() -> String {
        let name = makeName(kind: "i")
        registry.record(interface: name)
        return name
    }

    /// Moves root-namespace interface `name` into `namespace` and sets it up there.
    public func moveInterface(_ name: String, into namespace: TestNamespace) throws(TestHostError) {
        try RootNamespace.ipChecked(["link", "set", name, "netns", namespace.name])
        try namespace.bringUp(name)
    }

    /// Stops background commands and removes every interface and namespace this network made.
    /// Idempotent. Returns descriptions of anything that could not be removed.
    @discardableResult
    public func teardown() -> [String] { registry.removeAll() }

    /// True while a namespace of this name exists.
    public static func namespaceExists(_ name: String) -> Bool { RootNamespace.hasNamespace(name) }

    /// True while an interface of this name exists in the root namespace.
    public static func rootInterfaceExists(_ name: String) -> Bool { RootNamespace.hasInterface(name) }

    /// Removes namespaces and root-namespace interfaces left by runs whose process is gone.
    /// Returns the names it removed.
    @discardableResult
    public static func removeLeftovers() -> [String] {
        var removed: [String] = []
        for name in RootNamespace.entries(of: "/sys/class/net") where TestHostNames.belongsToDeadRun(name) {
            if RootNamespace.ip(["link", "del", name]) == nil { removed.append(name) }
        }
        for name in RootNamespace.entries(of: "/run/netns") where TestHostNames.belongsToDeadRun(name) {
            if RootNamespace.ip(["netns", "del", name]) == nil { removed.append(name) }
        }
        return removed
    }

    private static let leftoversRemoved = Mutex(false)

    private static func removeLeftoversOnce() {
        leftoversRemoved.withLock { done in
            guard !done else { return }
            done = true
            removeLeftovers()
        }
    }

    private func makeName(kind: Character) -> String {
        let index = nextIndex.withLock { index in
            defer { index += 1 }
            return index
        }
        return TestHostNames.name(networkTag: tag, kind: kind, index: index)
    }
}

/// One end of a veth pair: its interface name and the namespace it lives in.
public struct VethEnd: Sendable, Hashable {
    public let name: String
    public let namespace: TestNamespace
}

/// Two connected veth interfaces.
public struct VethPair: Sendable, Hashable {
    public let first: VethEnd
    public let second: VethEnd
}
#endif
