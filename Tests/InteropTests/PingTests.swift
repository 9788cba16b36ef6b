#if os(Linux)
import Testing
import Glibc
import Synchronization
import FlexPort
import FlexTCPCore
import FlexWire
import FlexTestHosts

/// A NetworkHost polled by `NetworkHost.run` on a thread of its own until `stop()` (or 30 s).
///
/// Sendable: between `init` and `stop()` only the polling thread touches the host; `stop()` joins
/// that thread, so reads afterwards see everything it did.
private final class PolledHost: @unchecked Sendable {
    let host: NetworkHost
    private let stopRequested = Atomic<Bool>(false)
    private let stopped = Mutex(false)
    private var thread = pthread_t()

    init(_ host: NetworkHost) throws {
        self.host = host
        let started = pthread_create(&thread, nil, { context in
            let polled = Unmanaged<PolledHost>.fromOpaque(context!).takeUnretainedValue()
            let clock = MonotonicTimeSource()
            polled.host.announce()
            polled.host.run(clock: clock, until: clock.now() + 30_000_000_000) { polled.stopRequested.load(ordering: .relaxed) }
            return nil
        }, Unmanaged.passUnretained(self).toOpaque())
        guard started == 0 else { throw TestHostError.systemCall(operation: "pthread_create", code: started, message: String(cString: strerror(started))) }
    }

    /// Stops the polling thread and waits for it; idempotent.
    func stop() {
        stopped.withLock { done in
            guard !done else { return }
            done = true
            stopRequested.store(true, ordering: .relaxed)
            pthread_join(thread, nil)
        }
    }

    deinit { stop() }
}

private func hostConfiguration(_ text: String) throws -> NetworkHostConfiguration {
    NetworkHostConfiguration(interface: try InterfaceAddress(text))
}

/// A pcap file path of this process, removed by the caller.
private func temporaryPcapPath() -> String {
    "/tmp/flextcp-ping-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pcap"
}

/// `(ARP opcode, ICMP type)` of every frame in the pcap at `path`, as tshark reads them (empty strings
/// for layers a frame lacks).
private func tsharkFields(_ path: String) throws -> [(arp: String, icmp: String)] {
    let result = try RunningCommand(["tshark", "-r", path, "-T", "fields", "-e", "arp.opcode", "-e", "icmp.type"]).wait(timeout: .seconds(30))
    #expect(result.succeeded, "tshark: \(result)")
    return result.standardOutput.split(separator: "\n").map { line in
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        return (fields.first ?? "", fields.count > 1 ? fields[1] : "")
    }
}

/// The kernel in `kernel` pings `address` three times; the NetworkHost must answer all.
private func expectKernelPingSucceeds(_ kernel: TestNamespace, address: String) throws {
    let ping = try kernel.run(["ping", "-c", "3", "-W", "1", address], timeout: .seconds(20))
    #expect(ping.succeeded, "ping: \(ping)")
    #expect(ping.standardOutput.contains("3 received"), "ping: \(ping)")
}

/// Namespace `hostSide` holds the NetworkHost's veth end (no kernel address); namespace `kernel`
/// holds the other end with `kernelAddress` (a /24 of 198.18.0.0/15).
private struct VethHosts {
    let hostSide: TestNamespace
    let kernel: TestNamespace
    let pair: VethPair
    var kernelInterface: String { pair.second.name }

    init(_ network: TestNetwork, kernelAddress: String) throws {
        hostSide = try network.makeNamespace()
        kernel = try network.makeNamespace()
        pair = try network.makeVethPair(between: hostSide, and: kernel)
        try kernel.assign(TestAddress(kernelAddress), to: pair.second.name)
    }

    func openPort() throws -> AFPacketPort {
        try hostSide.perform { try AFPacketPort(interfaceName: pair.first.name) }
    }
}

@Suite("NetworkHost against the Linux kernel: ping", .enabled(if: runsAsRoot))
struct PingTests {
    @Test("on a veth end (AF_PACKET): the kernel's ping is answered; the pcap shows ARP and echo both ways")
    func kernelPingsHostOverVeth() throws {
        try TestNetwork.with { network in
            let hosts = try VethHosts(network, kernelAddress: "198.18.2.1/24")
            let path = temporaryPcapPath()
            defer { unlink(path) }
            let writer = try PcapWriter(path: path)
            let port = try hosts.openPort()
            let host = try NetworkHost(port: PcapRecordingPort(wrapping: port, writer: writer),
                                       configuration: hostConfiguration("198.18.2.2/24"))
            let polled = try PolledHost(host)
            defer { polled.stop() }

            try expectKernelPingSucceeds(hosts.kernel, address: "198.18.2.2")
            polled.stop()
            try writer.close()
            #expect(host.statistics.echoRequestsAnswered == 3)
            #expect(host.statistics.arpRequestsAnswered >= 1)

            try expectPcapShowsARPAndThreeEchoExchanges(path)
        }
    }

    /// tshark reads the recording back: ARP request and reply, three echo requests and three replies.
    private func expectPcapShowsARPAndThreeEchoExchanges(_ path: String) throws {
        let frames = try tsharkFields(path)
        #expect(frames.contains { $0.arp == "1" }, "an ARP request (the kernel's, and our announcement)")
        #expect(frames.contains { $0.arp == "2" }, "our ARP reply")
        #expect(frames.filter { $0.icmp == "8" }.count == 3, "\(frames)")
        #expect(frames.filter { $0.icmp == "0" }.count == 3, "\(frames)")
    }

    @Test("on a TAP device in the kernel's namespace: the kernel's ping is answered; the pcap shows ARP and echo")
    func kernelPingsHostOverTAP() throws {
        try TestNetwork.with { network in
            let kernel = try network.makeNamespace()
            let port = try TAPPort(interfaceName: network.makeInterfaceName())
            try network.moveInterface(port.interfaceName, into: kernel)
            try kernel.assign(TestAddress("198.18.3.1/24"), to: port.interfaceName)
            let path = temporaryPcapPath()
            defer { unlink(path) }
            let writer = try PcapWriter(path: path)
            let host = try NetworkHost(port: PcapRecordingPort(wrapping: port, writer: writer),
                                       configuration: hostConfiguration("198.18.3.2/24"))
            let polled = try PolledHost(host)
            defer { polled.stop() }

            try expectKernelPingSucceeds(kernel, address: "198.18.3.2")
            polled.stop()
            try writer.close()
            #expect(host.statistics.echoRequestsAnswered == 3)
            try expectPcapShowsARPAndThreeEchoExchanges(path)
            let neighbours = try kernel.runChecked(["ip", "neigh", "show", "198.18.3.2", "dev", port.interfaceName])
            #expect(neighbours.contains("lladdr \(port.macAddress)"), "ip neigh: \(neighbours)")
        }
    }

    @Test("the kernel's echo requests, fragmented by a 1500-byte route, are reassembled and answered (RFC 1122 §3.3.2)")
    func kernelFragmentedPing() throws {
        try TestNetwork.with { network in
            let hosts = try VethHosts(network, kernelAddress: "198.18.5.1/24")
            // Both links take 9000 bytes, so our 3028-byte replies go out whole; the kernel's route to us
            // is locked at 1500, so its 3028-byte requests arrive in three fragments.
            _ = try hosts.hostSide.runChecked(["ip", "link", "set", "dev", hosts.pair.first.name, "mtu", "9000"])
            _ = try hosts.kernel.runChecked(["ip", "link", "set", "dev", hosts.kernelInterface, "mtu", "9000"])
            _ = try hosts.kernel.runChecked(["ip", "route", "add", "198.18.5.2/32", "dev", hosts.kernelInterface, "mtu", "lock", "1500"])
            let host = try NetworkHost(port: try hosts.openPort(), configuration: hostConfiguration("198.18.5.2/24"))
            let polled = try PolledHost(host)
            defer { polled.stop() }

            let ping = try hosts.kernel.run(["ping", "-c", "3", "-W", "1", "-s", "3000", "198.18.5.2"], timeout: .seconds(20))
            polled.stop()
            #expect(ping.standardOutput.contains("3 received"), "ping: \(ping)")
            #expect(host.statistics.reassembly.datagramsReassembled == 3)
            #expect(host.statistics.reassembly.fragmentsReceived == 9)
            #expect(host.statistics.echoRequestsAnswered == 3)
        }
    }

    @Test("the NetworkHost resolves the kernel with ARP and pings it: three replies")
    func hostPingsKernel() throws {
        try TestNetwork.with { network in
            let hosts = try VethHosts(network, kernelAddress: "198.18.4.1/24")
            let kernelAddress = IPv4Address(198, 18, 4, 1)
            let port = try hosts.openPort()
            let host = try NetworkHost(port: port, configuration: hostConfiguration("198.18.4.2/24"))

            let clock = MonotonicTimeSource()
            let giveUp = clock.now() + 10_000_000_000
            var nextSend = clock.now()
            var sent: UInt16 = 0
            var events: [NetworkEvent] = []
            var finished = 0
            while finished < 3 && clock.now() < giveUp {
                let now = clock.now()
                if sent < 3 && now >= nextSend {
                    sent += 1
                    try host.sendEchoRequest(to: kernelAddress, sequenceNumber: sent, timeout: 2_000_000_000, now: now)
                    nextSend = now + 100_000_000
                }
                host.poll(now: now)
                host.drainEvents { event in
                    events.append(event)
                    switch event {
                    case .echoReplyReceived, .echoRequestTimedOut: finished += 1
                    default: break
                    }
                }
                _ = port.waitForFrames(timeoutNanoseconds: 5_000_000)
            }
            let kernelMAC = try kernelMAC(of: hosts.kernelInterface, in: hosts.kernel)
            guard case let .neighbourResolved(address, mac, _, _)? = events.first else {
                Issue.record("no ARP resolution first: \(events)")
                return
            }
            #expect(address == kernelAddress && mac == kernelMAC)
            let replies = events.compactMap { if case let .echoReplyReceived(reply) = $0 { reply } else { nil } }
            #expect(replies.map(\.sequenceNumber) == [1, 2, 3], "\(events)")
            #expect(replies.allSatisfy { $0.source == kernelAddress && $0.payloadLength == 56 })
            let neighbours = try hosts.kernel.runChecked(["ip", "neigh", "show", "198.18.4.2", "dev", hosts.kernelInterface])
            #expect(neighbours.contains("lladdr \(port.macAddress)"), "the kernel learned us from our request: \(neighbours)")
        }
    }
}
#endif
