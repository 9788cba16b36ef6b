import FlexPort
import FlexTestHosts

/// FlexTCP on real interfaces: each stack on an AF_PACKET port at one end of a veth pair between
/// two test-host namespaces (198.18.61.0/24, no kernel addresses: FlexTCP answers ARP itself),
/// each busy-polling on its worker's pinned core, through contexts or run to completion (`path`).
/// Compared with Linux TCP over veth.
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
    let stacks: FlexTCPBenchmarkStack

    /// `flextcp-veth` (through contexts) or `flextcp-rtc-veth` (run to completion).
    public init(path: FlexTCPApplicationPath = .contexts) {
        self.path = path
        name = "flextcp-\(path.nameInfix)veth"
        stacks = FlexTCPBenchmarkStack()
    }

    public var summary: String {
        "FlexTCP: two embedded stacks on AF_PACKET ports (TPACKET_V2 rings) at the ends of a veth pair between two "
            + "test-host namespaces, each busy-polling on its worker's core; \(path.summary); "
            + "\(stacks.congestionControlDescription); " + FlexTCPBenchmarkStack.limitsDescription
    }

    public func run(_ spec: WorkloadSpec, control: RunControl) throws(BenchmarkFailure) -> [WorkerReport] {
        let stacks = stacks
        let path = path
        do {
            TestNetwork.removeAllOnTermination()
            return try TestNetwork.with { network in
                let serverHost = try network.makeNamespace()
                let clientHost = try network.makeNamespace()
                let pair = try network.makeVethPair(between: serverHost, and: clientHost)
                return try WorkerThreads.run(
                    server: { cpu in try stacks.runVethWorker(spec, role: .server, end: pair.first, path: path, control: control, cpu: cpu) },
                    client: { cpu in try stacks.runVethWorker(spec, role: .client, end: pair.second, path: path, control: control, cpu: cpu) },
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
    func runVethWorker(_ spec: WorkloadSpec, role: WorkerRole, end: VethEnd, path: FlexTCPApplicationPath, control: RunControl,
                       cpu: Int?) throws -> WorkerReport {
        try end.namespace.perform {
            let pinned = cpu.flatMap { CPUPlacement.pinCurrentThread(to: $0) ? $0 : nil }
            let port: AFPacketPort
            do {
                port = try AFPacketPort(interfaceName: end.name, configuration: Self.portConfiguration(for: spec))
            } catch {
                throw BenchmarkFailure("cannot open \(end.name) with AF_PACKET: \(error)")
            }
            return try runWorker(spec, role: role, port: port, path: path, control: control, cpu: pinned)
        }
    }

    /// Receive slots for every frame that can be in flight to this side (AF_PACKET drops what does
    /// not fit), each big enough for one MTU-sized frame: FlexTCP sends no super-segments.
    static func portConfiguration(for spec: WorkloadSpec) -> AFPacketConfiguration {
        var configuration = AFPacketConfiguration()
        configuration.receiveFrameCount = BenchmarkWire.framesInFlight(for: spec, mtu: InterfaceMTU.veth)
        configuration.receiveFrameSize = 2048
        configuration.transmitFrameCount = 1024
        return configuration
    }
}
