import FlexTestHosts

/// Linux kernel TCP between two test hosts: the server worker in one network namespace, the client
/// worker in another, joined by a veth pair (198.18.60.1/24 ↔ 198.18.60.2/24).
///
/// Contract: as `BenchmarkSystem`; needs root. Every run builds its own `TestNetwork`, removed on
/// every exit path. The client host reuses TIME_WAIT ports for new connections (tcp_tw_reuse=1,
/// what Linux does on loopback by default), so connection churn is not capped by the ephemeral port
/// range and a minute of TIME_WAIT.
public struct LinuxVethSystem: BenchmarkSystem {
    public let name = "linux-veth"
    public let baselineNames: [String] = []
    public let summary = "Linux kernel TCP between two test hosts (network namespaces) over veth, 198.18.60.1 ↔ .2, epoll loop per worker"
    public let needsRoot = true
    public let mtu: Int? = InterfaceMTU.veth

    static let serverAddress = "198.18.60.1"
    static let clientAddress = "198.18.60.2"
    static let prefixLength = 24

    public init() {}

    public func run(_ spec: WorkloadSpec, control: RunControl) throws(BenchmarkFailure) -> [WorkerReport] {
        do {
            return try TestNetwork.with { network in
                let serverHost = try network.makeNamespace()
                let clientHost = try network.makeNamespace()
                let veth = try network.makeVethPair(between: serverHost, and: clientHost)
                try serverHost.assign(TestAddress("\(Self.serverAddress)/\(Self.prefixLength)"), to: veth.first.name)
                try clientHost.assign(TestAddress("\(Self.clientAddress)/\(Self.prefixLength)"), to: veth.second.name)
                try clientHost.runChecked(["sysctl", "-q", "-w", "net.ipv4.tcp_tw_reuse=1"])
                return try LinuxWorkers.run(spec, control: control, listenAddress: IPv4Endpoint(Self.serverAddress)!) { role, cpu, body in
                    try (role == .server ? serverHost : clientHost).perform {
                        // `perform` runs the body on a new thread inside the namespace: pin that one.
                        let pinned = cpu.flatMap { CPUPlacement.pinCurrentThread(to: $0) ? $0 : nil }
                        return try body(pinned)
                    }
                }
            }
        } catch let failure as BenchmarkFailure {
            throw failure
        } catch {
            throw BenchmarkFailure("test hosts: \(error)")
        }
    }
}
