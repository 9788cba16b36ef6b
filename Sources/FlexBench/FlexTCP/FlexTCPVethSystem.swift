import FlexPort
import FlexTestHosts

/// FlexTCP on real interfaces: each stack on a kernel port (AF_PACKET or AF_XDP: `port`) at one end
/// of a veth pair between two test-host namespaces (198.18.61.0/24, no kernel addresses: FlexTCP
/// answers ARP itself), each busy-polling on its worker's pinned core, through contexts or run to
/// completion (`path`). Compared with Linux TCP over veth; reports the ports' kernel kicks.
///
/// Contract: the namespaces and the veth pair exist only during `run` and are removed on every
/// exit path; each worker opens its port and runs its loop on a thread inside its namespace,
/// pinned to the worker's CPU.
public struct FlexTCPVethSystem: BenchmarkSystem {
    public let name: String
    public let baselineNames = ["linux-veth"]
    public let needsRoot = true
    public let mtu: Int? = InterfaceMTU.veth
    let path: FlexTCPApplicationPath
    let port: FlexTCPVethPort
    let stacks: FlexTCPBenchmarkStack

    /// `flextcp-veth` (through contexts) or `flextcp-rtc-veth` (run to completion), with the
    /// port's suffix (`flextcp-veth-xdp`, …).
    public init(path: FlexTCPApplicationPath = .contexts, port: FlexTCPVethPort = .afPacket) {
        self.path = path
        self.port = port
        name = "flextcp-\(path.nameInfix)veth\(port.nameSuffix)"
        stacks = FlexTCPBenchmarkStack()
    }

    public var summary: String {
        "FlexTCP: two embedded stacks on \(port.summary) at the ends of a veth pair between two "
            + "test-host namespaces, each busy-polling on its worker's core; \(path.summary); "
            + "\(stacks.congestionControlDescription); " + FlexTCPBenchmarkStack.limitsDescription
    }

    public func run(_ spec: WorkloadSpec, control: RunControl) throws(BenchmarkFailure) -> [WorkerReport] {
        let stacks = stacks
        let path = path
        let port = port
        do {
            return try TestNetwork.with { network in
                let serverHost = try network.makeNamespace()
                let clientHost = try network.makeNamespace()
                let pair = try network.makeVethPair(between: serverHost, and: clientHost)
                return try WorkerThreads.run(
                    server: { cpu in
                        try stacks.runVethWorker(spec, role: .server, end: pair.first, port: port, path: path, control: control, cpu: cpu)
                    },
                    client: { cpu in
                        try stacks.runVethWorker(spec, role: .client, end: pair.second, port: port, path: path, control: control, cpu: cpu)
                    },
                    control: control)
            }
        } catch let failure as BenchmarkFailure {
            throw failure
        } catch {
            throw BenchmarkFailure("cannot set up the test hosts: \(error)")
        }
    }
}

extension FlexTCPBenchmarkStack {
    /// Runs one side on a thread inside `end`'s namespace, pinned to `cpu`, with its port opened there.
    func runVethWorker(_ spec: WorkloadSpec, role: WorkerRole, end: VethEnd, port kind: FlexTCPVethPort,
                       path: FlexTCPApplicationPath, control: RunControl, cpu: Int?) throws -> WorkerReport {
        try end.namespace.perform {
            let pinned = cpu.flatMap { CPUPlacement.pinCurrentThread(to: $0) ? $0 : nil }
            let port: any Port
            do {
                port = try kind.open(end.name, for: spec)
            } catch {
                throw BenchmarkFailure("cannot open \(end.name): \(error)")
            }
            return try runWorker(spec, role: role, port: port, path: path, control: control, cpu: pinned, countsKicks: true)
        }
    }
}
