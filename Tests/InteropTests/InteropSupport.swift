#if os(Linux)
import Testing
import Glibc
import FlexPort
import FlexWire
import FlexTestHosts

/// Interop tests need root (namespaces, veth, AF_PACKET, /dev/net/tun).
let runsAsRoot = getuid() == 0

/// Addresses every interop test uses inside its own namespaces (no two tests share a namespace).
enum TestAddresses {
    static let kernel = IPv4Address(0xC612_0101)  // 198.18.1.1, the Linux kernel under test
    static let port = IPv4Address(0xC612_0102)    // 198.18.1.2, the port (our side of the wire)
    static let kernelWithPrefix = "198.18.1.1/24"
    static let portWithPrefix = "198.18.1.2/24"
}

/// A copy of one received frame with the facts the port attached to it.
struct ReceivedFrame {
    let bytes: [UInt8]
    let flags: FrameFlags
    let segmentSize: UInt16

    var etherType: UInt16 { UInt16(bytes[12]) << 8 | UInt16(bytes[13]) }
    var destinationMAC: MACAddress { bytes.withUnsafeBytes { MACAddress(loadingFrom: $0.baseAddress!) } }
    var sourceMAC: MACAddress { bytes.withUnsafeBytes { MACAddress(loadingFrom: $0.baseAddress! + 6) } }
    /// For IPv4 frames: the IP protocol number.
    var ipProtocol: UInt8 { bytes[23] }
    /// For IPv4 frames: the offset of the transport header.
    var transportOffset: Int { 14 + Int(bytes[14] & 0x0F) * 4 }
}

/// Receives from `port` until `isWanted` accepted a frame or `maximumWaits` waits of 100 ms passed.
/// Returns every frame received (the wanted one last, if any).
func receiveFrames(from port: some Port, maximumWaits: Int = 50, until isWanted: (ReceivedFrame) -> Bool) -> [ReceivedFrame] {
    let batch = FrameBatch(capacity: 64)
    var frames: [ReceivedFrame] = []
    for _ in 0..<maximumWaits {
        _ = port.waitForFrames(timeoutNanoseconds: 100_000_000)
        _ = port.receive(into: batch)
        var found = false
        for index in 0..<batch.count where !found {
            let frame = batch[index]
            let copy = ReceivedFrame(bytes: Array(frame.buffer), flags: frame.flags, segmentSize: frame.segmentSize)
            frames.append(copy)
            found = isWanted(copy)
        }
        port.releaseReceived(batch)
        if found { break }
    }
    return frames
}

/// The first frame `isWanted` accepts, received within `maximumWaits` waits of 100 ms; nil if none.
func receiveFrame(from port: some Port, maximumWaits: Int = 50, matching isWanted: (ReceivedFrame) -> Bool) -> ReceivedFrame? {
    receiveFrames(from: port, maximumWaits: maximumWaits, until: isWanted).last.flatMap { isWanted($0) ? $0 : nil }
}

/// ARP frames (RFC 826) for IPv4 over Ethernet, as raw bytes.
enum ARP {
    /// True if `frame` is an ARP request asking for `target`.
    static func isRequest(_ frame: ReceivedFrame, for target: IPv4Address) -> Bool {
        frame.bytes.count >= 42 && frame.etherType == 0x0806 && frame.bytes[20] == 0 && frame.bytes[21] == 1
            && address(in: frame.bytes, at: 38) == target
    }

    /// The request's sender addresses (hardware, protocol).
    static func sender(of frame: ReceivedFrame) -> (MACAddress, IPv4Address) {
        (frame.bytes.withUnsafeBytes { MACAddress(loadingFrom: $0.baseAddress! + 22) }, address(in: frame.bytes, at: 28))
    }

    /// An ARP reply from `sender` to `target`, padded to the 60-byte Ethernet minimum.
    static func reply(from sender: (MACAddress, IPv4Address), to target: (MACAddress, IPv4Address)) -> [UInt8] {
        var frame = target.0.bytes + sender.0.bytes + [0x08, 0x06]
        frame += [0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x02]
        frame += sender.0.bytes + bytes(of: sender.1) + target.0.bytes + bytes(of: target.1)
        return frame + [UInt8](repeating: 0, count: 60 - frame.count)
    }

    static func bytes(of address: IPv4Address) -> [UInt8] {
        [UInt8(address.value >> 24), UInt8(address.value >> 16 & 0xFF), UInt8(address.value >> 8 & 0xFF), UInt8(address.value & 0xFF)]
    }

    static func address(in bytes: [UInt8], at offset: Int) -> IPv4Address {
        IPv4Address(bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }
}

/// The MAC address of `interface` as the kernel in `namespace` reports it.
func kernelMAC(of interface: String, in namespace: TestNamespace) throws -> MACAddress {
    let text = try namespace.runChecked(["cat", "/sys/class/net/\(interface)/address"])
    return try #require(MACAddress(String(text.filter { !$0.isWhitespace })))
}

/// A statistics counter of `interface` in `namespace` (e.g. "rx_packets").
func interfaceCounter(_ counter: String, of interface: String, in namespace: TestNamespace) throws -> Int {
    let text = try namespace.runChecked(["cat", "/sys/class/net/\(interface)/statistics/\(counter)"])
    return try #require(Int(text.filter { !$0.isWhitespace }))
}

/// The kernel in `kernel` (at 198.18.1.1 on `kernelInterface`) pings 198.18.1.2, the port's address:
/// the port must receive the kernel's ARP request, and the ARP reply the port sends must make the
/// kernel use the port's MAC (its echo requests then arrive addressed to the port, and
/// `ip neigh` lists the port's MAC as a usable entry).
func checkARPExchange(port: some Port, kernel: TestNamespace, kernelInterface: String) throws {
    let kernelAddress = try kernelMAC(of: kernelInterface, in: kernel)
    let ping = try kernel.start(["ping", "-c", "20", "-i", "0.2", "-W", "1", TestAddresses.port.description])
    defer { ping.stop() }

    let request = try #require(receiveFrame(from: port) { ARP.isRequest($0, for: TestAddresses.port) },
                               "no ARP request for 198.18.1.2")
    #expect(request.etherType == 0x0806)
    #expect(request.destinationMAC == .broadcast)
    #expect(request.sourceMAC == kernelAddress)
    let (senderMAC, senderIP) = ARP.sender(of: request)
    #expect(senderMAC == kernelAddress)
    #expect(senderIP == TestAddresses.kernel)

    #expect(port.transmit(ARP.reply(from: (port.macAddress, TestAddresses.port), to: (kernelAddress, TestAddresses.kernel))))

    let echoRequest = receiveFrame(from: port) { frame in
        frame.etherType == 0x0800 && frame.ipProtocol == 1 && frame.destinationMAC == port.macAddress
            && ARP.address(in: frame.bytes, at: 30) == TestAddresses.port
    }
    #expect(echoRequest != nil, "no echo request addressed to the port's MAC")

    let neighbours = try kernel.runChecked(["ip", "neigh", "show", TestAddresses.port.description, "dev", kernelInterface])
    #expect(neighbours.contains("lladdr \(port.macAddress)"), "ip neigh: \(neighbours)")
    #expect(["REACHABLE", "STALE", "DELAY", "PROBE"].contains { neighbours.contains($0) }, "ip neigh: \(neighbours)")
}
#endif

#if os(Linux)
import FlexTCPTools

/// Runs the runtime loop with `step` (the services on its contexts) until `isDone` or `limit`
/// seconds of the monotonic clock; returns elapsed seconds, or nil when the time ran out.
func drive(_ loop: RuntimeLoop, limit seconds: UInt64, step: (UInt64) -> Bool, until isDone: () -> Bool) -> Double? {
    let clock = MonotonicTimeSource()
    let start = clock.now()
    let limit = start + seconds * 1_000_000_000
    loop.run(clock: clock, step: step, until: { isDone() || clock.now() > limit })
    return isDone() ? Double(clock.now() - start) / 1e9 : nil
}

/// Steps the loop until `service`'s listener is open (peers may connect from then on); records an
/// issue and throws when the runtime refused it.
func openListener(of service: some ListeningService, on loop: RuntimeLoop) throws {
    _ = drive(loop, limit: 10, step: { _ in service.step() }, until: { service.listenerStatus != nil })
    try #require(service.listenerStatus == .success, "listen: \(String(describing: service.listenerStatus))")
}
#endif
