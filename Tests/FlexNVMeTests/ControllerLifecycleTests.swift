import FlexNVMe
import Foundation
import Testing

@Suite("NVMe/TCP controller lifecycle")
struct ControllerLifecycleTests {
    private func target() -> NVMeTarget {
        NVMeTarget(configuration: TargetConfiguration(subsystemNQN: "nqn.2026-12.org.flextcp:test", port: 4420),
                   namespace: MemoryNamespace(byteCount: 1 << 20))
    }

    @Test("a controller whose keep-alive timeout passes without Keep Alive is torn down with its I/O queues")
    func keepAliveTimeout() throws {
        let transport = MemoryHostTransport(target: target())
        var options = HostOptions(subsystemNQN: "nqn.2026-12.org.flextcp:test")
        options.keepAliveMilliseconds = 200
        options.ioQueues = 2
        let host = try NVMeHost(transport: transport, options: options)
        // Kept alive while the host pumps.
        for _ in 0..<40 {
            try host.service(timeoutMilliseconds: 0)
            usleep(10_000)
        }
        #expect(!host.admin.isFinished)
        // The last round may have queued a Keep Alive after moving bytes: deliver it now, so that it cannot
        // arrive after the silence (and refresh the timer just before it is checked).
        try transport.pump(timeoutMilliseconds: 0)
        // Silent for longer than the timeout: the target ends every queue.
        usleep(350_000)
        try transport.pump(timeoutMilliseconds: 0)
        #expect(host.admin.isFinished)
        #expect(host.ioQueues.allSatisfy { $0.isFinished })
    }

    @Test("closing the admin queue tears the controller down: its I/O queues end and it cannot be joined again")
    func teardown() throws {
        let target = target()
        let transport = MemoryHostTransport(target: target)
        var options = HostOptions(subsystemNQN: "nqn.2026-12.org.flextcp:test")
        options.ioQueues = 2
        let host = try NVMeHost(transport: transport, options: options)
        let controller = host.controllerID
        transport.close(host.admin)
        for _ in 0..<3 {
            try transport.pump(timeoutMilliseconds: 0)
            for pair in transport.pairs { pair.connection.checkTimers() }
            usleep(1000)
        }
        try transport.pump(timeoutMilliseconds: 0)
        #expect(host.ioQueues.allSatisfy { $0.isFinished })
        // A new I/O queue naming the old controller is refused.
        let late = HostQueue(queueID: 1, entries: 8, headerDigest: false, dataDigest: false)
        try transport.open(late)
        var result: CompletionEntry?
        let data = Command.connectData(controllerID: controller, subsystemNQN: "nqn.2026-12.org.flextcp:test", hostNQN: options.hostNQN)
        data.withUnsafeBytes { bytes in
            _ = late.submit(Command.connect(queueID: 1, entries: 8, keepAliveMilliseconds: 0), writeData: bytes) { result = $0 }
            for _ in 0..<4 { try? transport.pump(timeoutMilliseconds: 0) }
        }
        #expect(result?.status == .connectInvalidParameters)
    }

    @Test("a host may not keep more commands outstanding than the queue holds")
    func submissionQueueFlowControl() throws {
        let transport = MemoryHostTransport(target: target())
        var options = HostOptions(subsystemNQN: "nqn.2026-12.org.flextcp:test")
        options.queueDepth = 4
        let host = try NVMeHost(transport: transport, options: options)
        let queue = host.ioQueues[0]
        var submitted = 0
        while queue.submit(Command.blocks(IOOpcode.flush, lba: 0, blocks: 1), completion: { _ in }) { submitted += 1 }
        #expect(submitted == 3)
        try transport.pump(timeoutMilliseconds: 0)
        #expect(queue.outstanding == 0)
    }

    @Test("before CC.EN only Fabrics commands run: Identify is refused with Command Sequence Error (as Linux's nvmet does), on a discovery controller too",
          arguments: ["nqn.2026-12.org.flextcp:test", NQN.discovery])
    func adminCommandBeforeEnable(subsystem: String) throws {
        let transport = MemoryHostTransport(target: target())
        let admin = HostQueue(queueID: 0, entries: 8, headerDigest: false, dataDigest: false)
        try transport.open(admin)
        var connected: CompletionEntry?
        let data = Command.connectData(controllerID: 0xFFFF, subsystemNQN: subsystem, hostNQN: "nqn.2014-08.org.flextcp:host")
        data.withUnsafeBytes { bytes in
            _ = admin.submit(Command.connect(queueID: 0, entries: 8, keepAliveMilliseconds: 0), writeData: bytes) { connected = $0 }
            for _ in 0..<4 { try? transport.pump(timeoutMilliseconds: 0) }
        }
        #expect(connected?.status == .success)
        var identified: CompletionEntry?
        var identity = [UInt8](repeating: 0, count: 4096)
        identity.withUnsafeMutableBytes { buffer in
            _ = admin.submit(Command.identify(0x01, namespaceID: 0), readBuffer: buffer) { identified = $0 }
            for _ in 0..<4 { try? transport.pump(timeoutMilliseconds: 0) }
        }
        #expect(identified?.status == .commandSequenceError)
    }

    @Test("a request larger than the controller's MDTS (here 256 KiB) goes as several commands and completes as one")
    func requestLargerThanMaximumTransfer() throws {
        let transport = MemoryHostTransport(target: target())
        let host = try NVMeHost(transport: transport, options: HostOptions(subsystemNQN: "nqn.2026-12.org.flextcp:test"))
        #expect(host.maximumTransferBytes == 256 * 1024)
        var data = seededBytes(768 * 1024, seed: 21)
        var copy = [UInt8](repeating: 0, count: 768 * 1024)
        var heard: [(Int, NVMeStatus)] = []
        let written = try data.withUnsafeMutableBytes { try host.run([BlockIO(.write, lba: 0, buffer: $0)]) { heard.append(($0, $1)) } }
        let read = try copy.withUnsafeMutableBytes { try host.run([BlockIO(.read, lba: 0, buffer: $0)]) }
        #expect(written == [.success] && read == [.success])
        #expect(heard.count == 1 && heard[0].0 == 0 && heard[0].1 == .success)
        #expect(firstDifference(copy, data) == nil)
    }
}
