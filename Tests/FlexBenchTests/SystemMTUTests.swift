#if canImport(Glibc)
import Foundation
import Glibc
import Testing
@testable import FlexBench

/// Every system states its MTU; the FlexTCP in-memory wire runs at Linux loopback's (as far as IPv4
/// goes) unless told otherwise, and its slots stay within the memory bound at any MTU.
@Suite(.serialized) struct SystemMTUTests {
    @Test("The memory systems default to 65,535; Linux loopback reports lo's MTU; veth systems the veth default; flextcpd's memory peer 1,500")
    func everySystemStatesItsMTU() throws {
        let loopback = try String(contentsOfFile: "/sys/class/net/lo/mtu", encoding: .utf8)
        for system in SystemCatalog.all {
            switch system.name {
            case "flextcp-memory", "flextcp-rtc-memory": #expect(system.mtu == 65_535)
            case "flextcp-veth", "flextcp-rtc-veth", "flextcp-veth-xdp", "flextcp-veth-xdp-generic", "linux-veth", "flextcp-service-memory":
                #expect(system.mtu == 1500, "\(system.name)")
            default: #expect(system.mtu == Int(loopback.trimmingCharacters(in: .whitespacesAndNewlines)), "\(system.name)")
            }
        }
        #expect(FlexTCPMemorySystem().withMTU(9000).mtu == 9000)
    }

    @Test("The wire carries frames of MTU + 14 bytes; its slots stay within the byte bound per direction",
          arguments: [1500, 9000, 65_535], [Workload.echo, .bulk])
    func wireSizing(mtu: Int, workload: Workload) throws {
        let spec = WorkloadSpec(workload: workload, connections: 256, size: workload == .bulk ? 65536 : 64, pipeline: 8)
        let wire = try BenchmarkWire.makeMemoryWire(for: spec, mtu: mtu)
        #expect(wire.a.maximumFrameLength == mtu + 14 && wire.b.maximumFrameLength == mtu + 14)
        let slots = BenchmarkWire.framesInFlight(for: spec, mtu: mtu)
        #expect(slots * (mtu + 14) <= BenchmarkWire.bytesPerDirectionLimit)
        // One connection's bulk window in full segments, plus room for ACKs and setup: 512 frames
        // at 1,500 bytes, at most a MiB of them beyond (16 at 64 KiB).
        let one = WorkloadSpec(workload: .bulk, connections: 1, size: 65536, pipeline: 4)
        let slack = [1500: 512, 9000: 115, 65_535: 16][mtu]!
        #expect(BenchmarkWire.framesInFlight(for: one, mtu: mtu)
                == Int(FlexTCPBenchmarkStack.ringSize(for: one)) / BenchmarkWire.segmentSize(mtu: mtu) + 4 + slack)
    }

    @Test("An MTU outside 576...65535 fails the run with a reason", arguments: [575, 65_536])
    func mtuOutOfRange(mtu: Int) {
        #expect(throws: BenchmarkFailure.self) { try BenchmarkWire.makeMemoryWire(for: WorkloadSpec(workload: .bulk), mtu: mtu) }
    }

    @Test("Bulk runs on the memory wire at a 1500-byte MTU too", arguments: FlexTCPApplicationPath.allCases)
    func bulkAtEthernetMTU(path: FlexTCPApplicationPath) throws {
        let system = FlexTCPMemorySystem(path: path, mtu: 1500)
        let result = try SystemRuns.run(system, WorkloadSpec(workload: .bulk, connections: 2, size: 65536, pipeline: 4))
        try SystemRuns.expectHealthy(result)
    }

    @Test("Run results carry the system's MTU into the JSON file")
    func resultsRecordTheMTU() throws {
        let result = RunResult(system: "flextcp-memory", spec: WorkloadSpec(workload: .bulk), repetition: 0, reports: [], mtu: 65_535)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("flexbench-mtu-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ResultsFile.write([result], to: path)
        let objects = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [[String: Any]])
        #expect(objects.first?["mtu"] as? Int == 65_535)
        #expect(try ResultsFile.read(from: path) == [result])
    }
}
#endif
