#if os(Linux)
import Testing
import Glibc
import FlexPort
import FlexWire
import FlexTestHosts

/// Namespace `portSide` holds the port's veth end (an AFPacketPort's or AFXDPPort's; no kernel
/// address unless a test adds one); namespace `kernelSide` holds the other end with 198.18.1.1/24.
struct PortVethHosts {
    let portSide: TestNamespace
    let kernelSide: TestNamespace
    let pair: VethPair
    var portInterface: String { pair.first.name }
    var kernelInterface: String { pair.second.name }

    init(_ network: TestNetwork) throws {
        portSide = try network.makeNamespace()
        kernelSide = try network.makeNamespace()
        pair = try network.makeVethPair(between: portSide, and: kernelSide)
        try kernelSide.assign(TestAddress(TestAddresses.kernelWithPrefix), to: pair.second.name)
    }

    func openPort(_ configuration: AFPacketConfiguration = AFPacketConfiguration()) throws -> AFPacketPort {
        try portSide.perform { try AFPacketPort(interfaceName: portInterface, configuration: configuration) }
    }

    /// Lets the kernel reach 198.18.1.2 at `mac` without asking (a permanent neighbour entry).
    func pinNeighbour(_ mac: MACAddress) throws {
        try kernelSide.runChecked(["ip", "neigh", "replace", TestAddresses.port.description, "lladdr", mac.description,
                                   "dev", kernelInterface, "nud", "permanent"])
    }

    /// The kernel sends one UDP datagram of `size` bytes to 198.18.1.2:9, cut into `segmentSize`
    /// segments by UDP GSO (UDP_SEGMENT) when given.
    func sendUDP(size: Int, segmentSize: Int? = nil) throws {
        let segmentation = segmentSize.map { "s.setsockopt(socket.SOL_UDP, 103, \($0)); " } ?? ""
        try kernelSide.runChecked(["python3", "-c", "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
            + segmentation + "s.sendto(b'x' * \(size), ('\(TestAddresses.port)', 9))"])
    }
}

private func isUDP(_ frame: ReceivedFrame) -> Bool { frame.etherType == 0x0800 && frame.ipProtocol == 17 }

/// The UDP checksum field of `frame` and the running sum of its pseudo-header.
private func udpChecksumFacts(_ frame: ReceivedFrame) -> (field: UInt16, pseudoHeaderSum: UInt64, datagram: ArraySlice<UInt8>) {
    let start = frame.transportOffset
    let length = Int(frame.bytes[start + 4]) << 8 | Int(frame.bytes[start + 5])
    let field = UInt16(frame.bytes[start + 6]) << 8 | UInt16(frame.bytes[start + 7])
    let pseudo = InternetChecksum.pseudoHeaderSum(source: ARP.address(in: frame.bytes, at: 26),
                                                  destination: ARP.address(in: frame.bytes, at: 30),
                                                  protocolNumber: 17, length: length)
    return (field, pseudo, frame.bytes[start..<start + length])
}

/// Reserves `reserving` transmit slots (default `count`), writes `count` frames of an experimental
/// EtherType to `destination` into the first of them and commits the batch; returns what was queued.
func commitTestFrames(on port: some Port, batch: FrameBatch, count: Int, reserving: Int? = nil,
                              to destination: MACAddress) -> Int {
    let reserved = port.reserveTransmit(into: batch, count: reserving ?? count)
    for index in 0..<min(count, reserved) {
        var slot = batch[index]
        destination.store(to: slot.bytes)
        port.macAddress.store(to: slot.bytes + 6)
        slot.bytes.storeBytes(of: UInt16(0x88B5).bigEndian, toByteOffset: 12, as: UInt16.self)
        slot.length = 60
        batch[index] = slot
    }
    return port.commitTransmit(batch)
}

/// Frames the kernel end received since its counter stood at `before`, waiting up to 2.5 s for `count`.
func waitForKernelFrames(_ hosts: PortVethHosts, since before: Int, count: Int) throws -> Int {
    var delivered = 0
    for _ in 0..<50 {
        delivered = try interfaceCounter("rx_packets", of: hosts.kernelInterface, in: hosts.kernelSide) - before
        if delivered >= count { break }
        usleep(50_000)
    }
    return delivered
}

@Suite("AFPacketPort on a veth pair", .enabled(if: runsAsRoot))
struct AFPacketPortTests {
    @Test("reads the interface's MAC and MTU, and sets up rings that hold 64 KiB super-segments")
    func interfaceFacts() throws {
        try TestNetwork.with { network in
            let hosts = try PortVethHosts(network)
            let port = try hosts.openPort()
            #expect(port.macAddress == (try kernelMAC(of: hosts.portInterface, in: hosts.portSide)))
            #expect(port.mtu == 1500)
            #expect(port.maximumFrameLength == 1514)
            #expect(port.ringFrameCounts.receive >= 64)
            #expect(port.ringFrameCounts.transmit >= 256)
        }
    }

    @Test("receives the kernel's ARP requests; its ARP reply is accepted by the kernel")
    func arpExchange() throws {
        try TestNetwork.with { network in
            let hosts = try PortVethHosts(network)
            let port = try hosts.openPort()
            try checkARPExchange(port: port, kernel: hosts.kernelSide, kernelInterface: hosts.kernelInterface)
        }
    }

    @Test("UDP from the kernel: checksum-partial with offload on; complete with tx checksumming off; verified after GRO")
    func checksumOffloadFlags() throws {
        try TestNetwork.with { network in
            let hosts = try PortVethHosts(network)
            let port = try hosts.openPort()
            try hosts.pinNeighbour(port.macAddress)

            try hosts.sendUDP(size: 100)
            let offloaded = try #require(receiveFrame(from: port, matching: isUDP))
            #expect(offloaded.flags.contains(.checksumPartial))
            #expect(!offloaded.flags.contains(.superSegment))
            let partial = udpChecksumFacts(offloaded)
            // Left to offload: the field holds only the folded pseudo-header sum.
            #expect(partial.field == ~InternetChecksum.finish(partial.pseudoHeaderSum))

            try hosts.kernelSide.runChecked(["ethtool", "-K", hosts.kernelInterface, "tx", "off"])
            try hosts.sendUDP(size: 100)
            let computed = try #require(receiveFrame(from: port, matching: isUDP))
            #expect(!computed.flags.contains(.checksumPartial))
            let complete = udpChecksumFacts(computed)
            let sum = complete.datagram.withUnsafeBytes {
                InternetChecksum.partialSum($0.baseAddress!, count: $0.count, initial: complete.pseudoHeaderSum)
            }
            #expect(InternetChecksum.finish(sum) == 0, "the kernel computed the whole checksum")
            #expect(!computed.flags.contains(.checksumVerified), "plain veth delivery verifies nothing")

            // With GRO on the port's end, veth receives through NAPI and GRO validates the checksum.
            try hosts.portSide.runChecked(["ethtool", "-K", hosts.portInterface, "gro", "on"])
            try hosts.sendUDP(size: 100)
            let validated = try #require(receiveFrame(from: port, matching: isUDP))
            #expect(validated.flags.contains(.checksumVerified))
            #expect(!validated.flags.contains(.checksumPartial))
        }
    }

    @Test("a UDP GSO send arrives as one super-segment with its segment size")
    func udpSuperSegment() throws {
        try TestNetwork.with { network in
            let hosts = try PortVethHosts(network)
            let port = try hosts.openPort()
            try hosts.pinNeighbour(port.macAddress)
            try hosts.sendUDP(size: 5_000, segmentSize: 1_000)
            let frame = try #require(receiveFrame(from: port, matching: isUDP))
            #expect(frame.bytes.count == 14 + 20 + 8 + 5_000)
            #expect(frame.flags.contains(.superSegment))
            #expect(frame.segmentSize == 1_000)
            #expect(frame.flags.contains(.checksumPartial))
        }
    }

    @Test("a kernel TCP stream arrives as super-segments with the MSS; the receiver's own ACKs are ignored",
          arguments: [true, false])
    func tcpSuperSegments(virtioNetHeader: Bool) throws {
        try TestNetwork.with { network in
            let hosts = try PortVethHosts(network)
            // Here the kernel in the port's namespace is the TCP receiver, so the stream flows.
            try hosts.portSide.assign(TestAddress(TestAddresses.portWithPrefix), to: hosts.portInterface)
            var configuration = AFPacketConfiguration()
            configuration.usesVirtioNetHeader = virtioNetHeader
            let port = try hosts.openPort(configuration)
            let listener = try hosts.portSide.start(["socat", "-u", "TCP-LISTEN:5001,reuseaddr", "OPEN:/dev/null"])
            defer { listener.stop() }
            let sender = try hosts.kernelSide.start(["sh", "-c",
                "for try in 1 2 3 4 5 6 7 8 9 10; do head -c 4000000 /dev/zero | socat -u - TCP:\(TestAddresses.port):5001 && exit 0; sleep 0.2; done; exit 1"])
            defer { sender.stop() }

            let frames = receiveFrames(from: port, maximumWaits: 100) { $0.flags.contains(.superSegment) }
            let superSegment = try #require(frames.last, "no frames")
            #expect(superSegment.flags.contains(.superSegment))
            #expect(superSegment.ipProtocol == 6)
            #expect(superSegment.bytes.count > port.maximumFrameLength)
            #expect(superSegment.flags.contains(.checksumPartial))
            if virtioNetHeader {
                #expect((536...1460).contains(superSegment.segmentSize), "MSS \(superSegment.segmentSize)")
            } else {
                #expect(superSegment.segmentSize == 0)
            }
            #expect(sender.wait(timeout: .seconds(20)).succeeded)
            #expect(try interfaceCounter("tx_packets", of: hosts.portInterface, in: hosts.portSide) > 0)
            let outgoing = frames + receiveFrames(from: port, maximumWaits: 2) { _ in false }
            #expect(!outgoing.contains { $0.sourceMAC == port.macAddress }, "the port saw frames its own host sent")
        }
    }

    @Test("frames longer than a ring slot are counted as receive drops, never delivered")
    func truncatedFramesAreDrops() throws {
        try TestNetwork.with { network in
            let hosts = try PortVethHosts(network)
            var configuration = AFPacketConfiguration()
            configuration.receiveFrameSize = 2_048
            let port = try hosts.openPort(configuration)
            try hosts.pinNeighbour(port.macAddress)
            try hosts.sendUDP(size: 5_000, segmentSize: 1_000)
            try hosts.sendUDP(size: 100)
            let frames = receiveFrames(from: port, until: isUDP)
            #expect(frames.filter(isUDP).map(\.bytes.count) == [14 + 20 + 8 + 100], "only the small datagram arrives")
            #expect(port.statistics.receiveDrops >= 1)
        }
    }

    @Test("batches go out through the transmit ring in order, gaps closed, the ring reused many times")
    func transmitRing() throws {
        try TestNetwork.with { network in
            let hosts = try PortVethHosts(network)
            var configuration = AFPacketConfiguration()
            configuration.transmitFrameCount = 8
            let port = try hosts.openPort(configuration)
            let destination = try kernelMAC(of: hosts.kernelInterface, in: hosts.kernelSide)
            let receivedBefore = try interfaceCounter("rx_packets", of: hosts.kernelInterface, in: hosts.kernelSide)
            let batch = FrameBatch(capacity: 64)
            var queued = 0
            for round in 0..<40 {
                port.poll()
                let reserved = port.reserveTransmit(into: batch, count: 64)
                for index in 0..<reserved {
                    var slot = batch[index]
                    destination.store(to: slot.bytes)
                    port.macAddress.store(to: slot.bytes + 6)
                    slot.bytes.storeBytes(of: UInt16(0x88B5).bigEndian, toByteOffset: 12, as: UInt16.self)
                    slot.bytes.storeBytes(of: UInt32(round * 100 + index).bigEndian, toByteOffset: 14, as: UInt32.self)
                    // Every third slot stays empty; the last of round 0 is oversize (a counted drop).
                    slot.length = index % 3 == 1 ? 0 : 60
                    if round == 0 && index == reserved - 1 { slot.length = port.maximumFrameLength + 1 }
                    batch[index] = slot
                }
                let expected = (0..<reserved).filter { $0 % 3 != 1 }.count - (round == 0 && reserved > 0 ? 1 : 0)
                #expect(port.commitTransmit(batch) == expected)
                queued += expected
                if reserved == 0 { usleep(10_000) }
            }
            #expect(queued > 3 * port.ringFrameCounts.transmit)
            #expect(port.statistics.transmitDrops == 1)
            #expect(port.statistics.transmittedFrames == UInt64(queued))
            #expect(try waitForKernelFrames(hosts, since: receivedBefore, count: queued) == queued)
        }
    }

    @Test("frames committed in one batch cost one sendto; a commit that queues nothing costs none")
    func oneKickPerBatch() throws {
        try TestNetwork.with { network in
            let hosts = try PortVethHosts(network)
            let port = try hosts.openPort()
            let destination = try kernelMAC(of: hosts.kernelInterface, in: hosts.kernelSide)
            let receivedBefore = try interfaceCounter("rx_packets", of: hosts.kernelInterface, in: hosts.kernelSide)
            let batch = FrameBatch(capacity: 64)
            let kicksBefore = port.statistics.transmitKicks

            #expect(commitTestFrames(on: port, batch: batch, count: 40, to: destination) == 40)
            #expect(port.statistics.transmitKicks == kicksBefore + 1, "40 frames, one kick")
            #expect(commitTestFrames(on: port, batch: batch, count: 0, reserving: 8, to: destination) == 0)
            port.poll()
            #expect(port.statistics.transmitKicks == kicksBefore + 1, "nothing queued, no kick")
            #expect(try waitForKernelFrames(hosts, since: receivedBefore, count: 40) == 40)
        }
    }

    @Test("with kickDeferralPolls 2 the frames of two passes leave with one sendto at the second poll; waiting kicks at once")
    func deferredKicks() throws {
        try TestNetwork.with { network in
            let hosts = try PortVethHosts(network)
            var configuration = AFPacketConfiguration()
            configuration.kickDeferralPolls = 2
            let port = try hosts.openPort(configuration)
            let destination = try kernelMAC(of: hosts.kernelInterface, in: hosts.kernelSide)
            let receivedBefore = try interfaceCounter("rx_packets", of: hosts.kernelInterface, in: hosts.kernelSide)
            let batch = FrameBatch(capacity: 64)
            let kicksBefore = port.statistics.transmitKicks

            port.poll()
            #expect(commitTestFrames(on: port, batch: batch, count: 3, to: destination) == 3)
            port.poll()
            #expect(commitTestFrames(on: port, batch: batch, count: 5, to: destination) == 5)
            #expect(port.statistics.transmitKicks == kicksBefore, "held for the next pass")
            port.poll()
            #expect(port.statistics.transmitKicks == kicksBefore + 1, "both passes in one kick")
            #expect(try waitForKernelFrames(hosts, since: receivedBefore, count: 8) == 8)

            #expect(commitTestFrames(on: port, batch: batch, count: 2, to: destination) == 2)
            _ = port.armReadiness()
            #expect(port.statistics.transmitKicks == kicksBefore + 2, "kicked before the caller may sleep")
            #expect(commitTestFrames(on: port, batch: batch, count: 2, to: destination) == 2)
            _ = port.waitForFrames(timeoutNanoseconds: 0)
            #expect(port.statistics.transmitKicks == kicksBefore + 3, "kicked before waiting")
            #expect(try waitForKernelFrames(hosts, since: receivedBefore, count: 12) == 12)
        }
    }

    @Test("a missing interface is a typed error with the errno text")
    func missingInterface() throws {
        try TestNetwork.with { network in
            let namespace = try network.makeNamespace()
            let error = try #require(throws: KernelPortError.self) {
                _ = try namespace.perform { try AFPacketPort(interfaceName: "ftxmissing") }
            }
            #expect(error.errorNumber == ENODEV)
            #expect(error.description.contains("ftxmissing"))
            #expect(error.description.contains(String(cString: strerror(ENODEV))))
        }
    }
}
#endif
