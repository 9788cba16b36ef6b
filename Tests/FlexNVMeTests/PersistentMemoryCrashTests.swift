import FlexNVMe
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Persistent-memory namespace survives kill -9 of the target")
struct PersistentMemoryCrashTests {
    /// A free TCP port on loopback (bound once, then released).
    private func freePort() -> UInt16 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        return UInt16(bigEndian: address.sin_port)
    }

    @Test("every write that completed before kill -9 is on the file byte for byte")
    func killedMidRun() throws {
        let tool = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("flexnvme").path
        try #require(FileManager.default.isExecutableFile(atPath: tool), "flexnvme is not built next to the tests (swift build --build-tests builds it)")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("flexnvme-pmem-\(getpid()).img").path
        unlink(file)
        defer { unlink(file) }
        let port = freePort()
        let nqn = "nqn.2026-12.org.flextcp:pmem"
        let target = Process()
        target.executableURL = URL(fileURLWithPath: tool)
        target.arguments = ["target", "--port", String(port), "--nqn", nqn, "--pmem", file, "--size-mib", "64"]
        target.standardOutput = FileHandle.nullDevice
        try target.run()
        defer { if target.isRunning { kill(target.processIdentifier, SIGKILL) }; target.waitUntilExit() }

        var options = HostOptions(subsystemNQN: nqn)
        options.ioQueues = 2
        options.queueDepth = 8
        var host: NVMeHost?
        for _ in 0..<200 where host == nil {
            host = try? NVMeHost(transport: LinuxHostTransport(address: "127.0.0.1", port: port), options: options)
            if host == nil { usleep(50_000) }
        }
        let connected = try #require(host, "the target did not come up")
        // 400 regions of 64 KiB: write i fills the start of region i (4 or 16 KiB) with bytes of seed i.
        let regionBytes = 65536
        let count = 400
        let sizes = (0..<count).map { $0 % 2 == 0 ? 4096 : 16384 }
        let data = (0..<count).map { seededBytes(sizes[$0], seed: UInt64(1000 + $0)) }
        let buffers = data.map { bytes -> UnsafeMutableRawBufferPointer in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 4096)
            buffer.copyBytes(from: bytes)
            return buffer
        }
        defer { for buffer in buffers { buffer.deallocate() } }
        let requests = (0..<count).map { BlockIO(.write, lba: UInt64($0 * regionBytes / 4096), buffer: buffers[$0]) }
        var completed: [Int] = []
        let killAfter = 120
        _ = try? connected.run(requests) { index, status in
            guard status.isSuccess else { return }
            completed.append(index)
            if completed.count == killAfter { kill(target.processIdentifier, SIGKILL) }
        }
        target.waitUntilExit()
        #expect(target.terminationReason == .uncaughtSignal)
        #expect(completed.count >= killAfter)
        #expect(completed.count < count, "the target was killed mid-run")
        let image = try #require(FileManager.default.contents(atPath: file))
        var mismatched: [Int] = []
        for index in completed {
            let start = index * regionBytes
            if !image[start..<(start + sizes[index])].elementsEqual(data[index]) { mismatched.append(index) }
        }
        #expect(mismatched.isEmpty, "completed writes missing from the file: \(mismatched.prefix(10))")
    }
}
