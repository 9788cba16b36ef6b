import FlexNVMe
import FlexTCP
import FlexTestHosts
import Foundation
import Testing

/// MiB written and read back per case: 4, or FLEXNVME_GUEST_MIB (e.g. 64 for the issue's full run).
private let caseMiB = ProcessInfo.processInfo.environment["FLEXNVME_GUEST_MIB"].flatMap { Int($0) } ?? 4
/// The guest's kernel-addressed NIC (eth0) and its FlexTCP NIC (eth1, whose TAP has no kernel address).
private let kernelSide = (ours: "198.18.40.1/24", guest: "198.18.40.2")
private let flexSide = (ours: "198.18.41.1/24", guest: "198.18.41.2")
private let relayPort: UInt16 = 4430

/// One write-and-read-back case: which transport of ours, which address of the other side, digests.
private struct InteropCase: CustomStringConvertible {
    let flexTCP: Bool
    let digests: Bool
    var description: String { "\(flexTCP ? "FlexTCP" : "kernel sockets"), digests \(digests ? "on" : "off")" }
    static let all = [false, true].flatMap { flexTCP in [false, true].map { InteropCase(flexTCP: flexTCP, digests: $0) } }
}

/// The guest for one test: booted in a fresh namespace with both NICs; skips the test (with the
/// reason) only when QEMU or the kernel package cannot be installed.
private func withGuest<Result>(dataDisk: String? = nil, ramDiskMiB: Int, _ body: (LinuxGuest, TestNamespace) throws -> Result) throws -> Result {
    let image: LinuxGuestImage
    switch LinuxGuestImage.prepared {
    case .success(let prepared): image = prepared
    case .failure(let error): try Test.cancel("\(error)")
    }
    return try TestNetwork.with { network in
        let namespace = try network.makeNamespace()
        let guest = try LinuxGuest(image: image, network: network, namespace: namespace,
                                   guestAddresses: [TestAddress(kernelSide.guest + "/24"), TestAddress(flexSide.guest + "/24")],
                                   dataDisk: dataDisk, ramDiskMiB: ramDiskMiB)
        defer { guest.shutdown() }
        print("LinuxGuest: booted in \(String(format: "%.1f", guest.bootSeconds)) s")
        try namespace.assign(TestAddress(kernelSide.ours), to: guest.nics[0].tap)
        return try body(guest, namespace)
    }
}

@Suite("NVMe/TCP interop with Linux's nvme-tcp and nvmet in a QEMU guest", .enabled(if: geteuid() == 0, "needs root for namespaces and TAP devices"),
       .serialized)
struct LinuxGuestInteropTests {
    private let bytes = caseMiB << 20

    @Test("Linux's host writes and reads back seeded data on our target over kernel sockets and FlexTCP, digests off and on, 4 I/O queues; corrupted digests are caught")
    func linuxHostAgainstOurTarget() throws {
        let data = seededBytes(bytes, seed: 150)
        let expected = data.withUnsafeBytes { sha256($0) }
        let dataFile = NSTemporaryDirectory() + "flexnvme-guest-data-\(getpid())"
        try Data(data).write(to: URL(fileURLWithPath: dataFile))
        defer { try? FileManager.default.removeItem(atPath: dataFile) }
        let nqn = "nqn.2026-12.org.flextcp:interop"
        let storage = MemoryNamespace(byteCount: 6 * bytes)
        let target = NVMeTarget(configuration: TargetConfiguration(subsystemNQN: nqn, port: 4420), namespace: storage)
        let stored = { (region: Int) in sha256(UnsafeRawBufferPointer(storage.mappedBytes((region * bytes)..<((region + 1) * bytes))!)) }

        try withGuest(dataDisk: dataFile, ramDiskMiB: 8) { guest, namespace in
            let kernelServer = try NamespacedServer.linuxTarget(target, in: namespace)
            defer { kernelServer.stop() }
            let flexServer = try NamespacedServer.flexTCPTarget(target, in: namespace, interface: guest.nics[1].tap, address: flexSide.ours)
            defer { flexServer.stop() }
            for (region, interop) in InteropCase.all.enumerated() {
                let address = interop.flexTCP ? flexSide.ours : kernelSide.ours
                let ourAddress = String(address.prefix { $0 != "/" })
                let started = ContinuousClock.now
                let writer = try guest.connectHost(address: ourAddress, port: 4420, nqn: nqn, digests: interop.digests)
                #expect(try guest.queueCount(writer) == 5, "\(interop): admin + 4 I/O queues")
                try guest.copy(from: "/dev/vda", to: "/dev/nvme\(writer)n1", mebibytes: caseMiB, atMiB: region * caseMiB)
                try guest.disconnectHost(writer)
                #expect(stored(region) == expected, "\(interop): what Linux wrote is on our namespace")
                let reader = try guest.connectHost(address: ourAddress, port: 4420, nqn: nqn, digests: interop.digests)
                #expect(try guest.sha256(of: "/dev/nvme\(reader)n1", mebibytes: caseMiB, atMiB: region * caseMiB) == expected,
                        "\(interop): Linux reads back what it wrote")
                try guest.disconnectHost(reader)
                print("LinuxGuest: Linux host, our target, \(interop): \(caseMiB) MiB written and read in \(ContinuousClock.now - started)")
            }

            // Corruption injected between Linux's host and our target (kernel sockets, digests on).
            let relay = try CorruptingRelay(in: namespace, port: relayPort, upstreamAddress: "127.0.0.1", upstreamPort: 4420)
            defer { relay.stop() }
            let instance = try guest.connectHost(address: String(kernelSide.ours.prefix { $0 != "/" }), port: relayPort, nqn: nqn, digests: true)
            relay.arm(PDUType.c2hData.rawValue, .fromUpstream)
            #expect(try guest.sha256(of: "/dev/nvme\(instance)n1", mebibytes: caseMiB, atMiB: 0) == expected,
                    "a read whose C2HData digest failed is retried by Linux and returns the right data")
            #expect(relay.corruptions == 1)
            #expect(try !guest.kernelLog(containing: "digest").isEmpty, "Linux's host logged the digest error")
            let errorsBefore = target.counters.dataDigestErrors
            relay.arm(PDUType.h2cData.rawValue, .towardsUpstream)
            try guest.copy(from: "/dev/vda", to: "/dev/nvme\(instance)n1", mebibytes: caseMiB, atMiB: 4 * caseMiB)
            #expect(relay.corruptions == 2)
            #expect(stored(4) == expected, "the corrupted data was never stored; Linux's retry was")
            try guest.disconnectHost(instance)
            // The target adds a connection's counts when it closes.
            let deadline = ContinuousClock.now + .seconds(10)
            while target.counters.dataDigestErrors == errorsBefore && ContinuousClock.now < deadline { usleep(10_000) }
            #expect(target.counters.dataDigestErrors == errorsBefore + 1, "our target caught the H2CData digest")
        }
    }

    @Test("our host writes and reads back seeded data on Linux's nvmet (brd) over kernel sockets and FlexTCP, digests off and on, 4 I/O queues; corrupted digests are caught")
    func ourHostAgainstLinuxTarget() throws {
        let nqn = "nqn.2026-12.org.flextcp:guest"
        try withGuest(ramDiskMiB: 6 * caseMiB) { guest, namespace in
            try guest.serveRAMDisk(nqn: nqn, port: 4420)
            var expected = ""
            for (region, interop) in InteropCase.all.enumerated() {
                let started = ContinuousClock.now
                let result = try withOurHost(in: namespace, interface: guest.nics[1].tap, flexTCP: interop.flexTCP, digests: interop.digests,
                                             nqn: nqn) { host in
                    #expect(host.ioQueues.count == 4, "\(interop)")
                    return try writeAndReadBack(host, byteCount: bytes, seed: 151, start: region * bytes)
                }
                #expect(result.statuses.allSatisfy { $0.isSuccess }, "\(interop)")
                #expect(result.read == result.written, "\(interop): our host reads back what it wrote")
                #expect(try guest.sha256(of: "/dev/ram0", mebibytes: caseMiB, atMiB: region * caseMiB) == result.written,
                        "\(interop): what our host wrote is on Linux's RAM disk")
                expected = result.written
                print("LinuxGuest: our host, Linux's target, \(interop): \(caseMiB) MiB written and read in \(ContinuousClock.now - started)")
            }

            // Corruption injected between our host and Linux's nvmet (kernel sockets, digests on).
            let relay = try CorruptingRelay(in: namespace, port: relayPort, upstreamAddress: kernelSide.guest, upstreamPort: 4420)
            defer { relay.stop() }
            try namespace.perform {
                let host = try NVMeHost(transport: LinuxHostTransport(address: "127.0.0.1", port: relayPort), options: hostOptions(nqn, digests: true))
                defer { host.disconnect() }
                relay.arm(PDUType.c2hData.rawValue, .fromUpstream)
                var copy = [UInt8](repeating: 0, count: bytes)
                let statuses = try copy.withUnsafeMutableBytes { try host.run([BlockIO(.read, lba: 0, buffer: $0)]) }
                #expect(statuses == [.success], "a read whose C2HData digest failed is retried")
                #expect(copy.withUnsafeBytes { sha256($0) } == expected, "and returns the right data")
                #expect(relay.corruptions == 1)
                #expect(host.ioQueues.reduce(0) { $0 + $1.counters.dataDigestErrors } == 1, "our host caught the C2HData digest")

                relay.arm(PDUType.h2cData.rawValue, .towardsUpstream)
                var data = seededBytes(1 << 20, seed: 152)
                // nvmet answers a bad H2CData digest with a controller fatal error: every connection ends.
                let written = try data.withUnsafeMutableBytes { try host.run([BlockIO(.write, lba: UInt64(5 * bytes / host.blockSize), buffer: $0)]) }
                #expect(written == [.transientTransportError], "a write whose H2CData digest failed fails with Transient Transport Error")
                #expect(relay.corruptions == 2)
            }
            let zeros = [UInt8](repeating: 0, count: 1 << 20).withUnsafeBytes { sha256($0) }
            #expect(try guest.sha256(of: "/dev/ram0", mebibytes: 1, atMiB: 5 * caseMiB) == zeros, "nothing of the corrupted write was stored")
            #expect(try !guest.kernelLog(containing: "digest").isEmpty, "Linux's target logged the digest error")
        }
    }
}

/// Options for our host: 4 I/O queues, digests as asked, patient with a slow (TCG) guest.
private func hostOptions(_ nqn: String, digests: Bool) -> HostOptions {
    var options = HostOptions(subsystemNQN: nqn)
    options.ioQueues = 4
    options.queueDepth = 32
    options.headerDigest = digests
    options.dataDigest = digests
    options.timeoutMilliseconds = 60_000
    return options
}

/// Runs `body` with our host connected to the guest's nvmet from `namespace`: over kernel sockets
/// (to the guest's eth0) or over FlexTCP on `interface` (to its eth1).
private func withOurHost<Result>(in namespace: TestNamespace, interface: String, flexTCP: Bool, digests: Bool, nqn: String,
                                 _ body: (NVMeHost) throws -> Result) throws -> Result {
    try namespace.perform {
        guard flexTCP else {
            let host = try NVMeHost(transport: LinuxHostTransport(address: kernelSide.guest, port: 4420), options: hostOptions(nqn, digests: digests))
            defer { host.disconnect() }
            return try body(host)
        }
        var configuration = FlexTCPStack.Configuration(address: flexSide.ours)
        configuration.threading = .applicationDriven
        configuration.receiveBufferSize = 1 << 20
        configuration.sendBufferSize = 1 << 20
        return try FlexTCPStack.withStack(on: .interface(named: interface), configuration: configuration) { stack in
            let transport = FlexTCPHostTransport(context: try stack.makeContext(), address: IPv4Address(flexSide.guest)!, port: 4420,
                                                 connectTimeout: .seconds(30), driving: stack)
            let host = try NVMeHost(transport: transport, options: hostOptions(nqn, digests: digests))
            defer { host.disconnect() }
            return try body(host)
        }
    }
}
