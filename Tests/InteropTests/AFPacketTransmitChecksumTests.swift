#if os(Linux)
import Testing
import Glibc
import FlexPort
import FlexWire
import FlexTestHosts

/// A TCP segment (ACK, 32 payload bytes) from the port's address to the kernel's, with its TCP
/// checksum field holding only the folded pseudo-header sum: what a sender leaves for offload.
private func partialTCPFrame(from source: MACAddress, to destination: MACAddress) -> [UInt8] {
    let payload = [UInt8](repeating: 0x5a, count: 32)
    let tcpLength = 20 + payload.count
    var frame = destination.bytes + source.bytes + [0x08, 0x00]
    frame += [0x45, 0x00, UInt8((20 + tcpLength) >> 8), UInt8((20 + tcpLength) & 0xff), 0, 0, 0x40, 0x00, 64, 6, 0, 0]
    frame += ARP.bytes(of: TestAddresses.port) + ARP.bytes(of: TestAddresses.kernel)
    frame += [0x9c, 0x40, 0x00, 0x09, 0, 0, 0x10, 0x00, 0, 0, 0x20, 0x00, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0] + payload
    let headerChecksum = frame[14..<34].withUnsafeBytes { InternetChecksum.checksum($0.baseAddress!, count: 20) }
    frame[24] = UInt8(headerChecksum >> 8)
    frame[25] = UInt8(headerChecksum & 0xff)
    let pseudo = ~InternetChecksum.finish(InternetChecksum.pseudoHeaderSum(
        source: TestAddresses.port, destination: TestAddresses.kernel, protocolNumber: 6, length: tcpLength))
    frame[50] = UInt8(pseudo >> 8)
    frame[51] = UInt8(pseudo & 0xff)
    return frame
}

/// Sends `frame` through `port` marked `.checksumPartial`; returns what the commit sent.
private func sendPartial(_ frame: [UInt8], through port: AFPacketPort) -> Int {
    let batch = FrameBatch(capacity: 1)
    guard port.reserveTransmit(into: batch, count: 1) == 1 else { return 0 }
    var slot = batch[0]
    frame.withUnsafeBytes { slot.bytes.copyMemory(from: $0.baseAddress!, byteCount: frame.count) }
    slot.length = frame.count
    slot.flags = .checksumPartial
    batch[0] = slot
    return port.commitTransmit(batch)
}

/// The TCP segment of `frame` (20-byte IPv4 header) verifies with its pseudo-header.
private func tcpChecksumIsValid(_ frame: ReceivedFrame) -> Bool {
    let length = (Int(frame.bytes[16]) << 8 | Int(frame.bytes[17])) - 20
    return frame.bytes[34..<34 + length].withUnsafeBytes {
        InternetChecksum.transportChecksum($0.baseAddress!, length: length, source: TestAddresses.port,
                                           destination: TestAddresses.kernel, protocolNumber: .tcp) == 0
    }
}

private func isOurSegment(_ frame: ReceivedFrame) -> Bool {
    frame.etherType == 0x0800 && frame.ipProtocol == 6 && frame.bytes.count >= 54 && frame.bytes[34] == 0x9c && frame.bytes[35] == 0x40
}

@Suite("AFPacketPort transmit checksum offload on a veth pair", .enabled(if: runsAsRoot))
struct AFPacketTransmitChecksumTests {
    @Test("a TCP frame left partial goes out with NEEDS_CSUM; the kernel completes it for a device without checksum offload")
    func partialChecksumIsCompleted() throws {
        try TestNetwork.with { network in
            let portSide = try network.makeNamespace()
            let kernelSide = try network.makeNamespace()
            let pair = try network.makeVethPair(between: portSide, and: kernelSide)
            try kernelSide.assign(TestAddress(TestAddresses.kernelWithPrefix), to: pair.second.name)
            let port = try portSide.perform { try AFPacketPort(interfaceName: pair.first.name) }
            let observer = try kernelSide.perform { try AFPacketPort(interfaceName: pair.second.name) }
            #expect(port.transmitChecksumOffload == .completesPartial)
            let frame = partialTCPFrame(from: port.macAddress, to: observer.macAddress)

            // veth offloads checksums: the frame crosses still partial, and says so.
            #expect(sendPartial(frame, through: port) == 1)
            let offloaded = try #require(receiveFrame(from: observer, matching: isOurSegment))
            #expect(offloaded.flags.contains(.checksumPartial))
            #expect(offloaded.bytes == frame)

            // A device without checksum offload: the kernel completes the checksum before it leaves.
            try portSide.runChecked(["ethtool", "-K", pair.first.name, "tx", "off"])
            #expect(sendPartial(frame, through: port) == 1)
            let completed = try #require(receiveFrame(from: observer, matching: isOurSegment))
            #expect(!completed.flags.contains(.checksumPartial))
            #expect(tcpChecksumIsValid(completed))
        }
    }

    @Test("without a virtio-net header the port offers no offload, and a frame marked partial is a counted drop")
    func noVirtioHeaderNoOffload() throws {
        try TestNetwork.with { network in
            let portSide = try network.makeNamespace()
            let kernelSide = try network.makeNamespace()
            let pair = try network.makeVethPair(between: portSide, and: kernelSide)
            var configuration = AFPacketConfiguration()
            configuration.usesVirtioNetHeader = false
            let port = try portSide.perform { try AFPacketPort(interfaceName: pair.first.name, configuration: configuration) }
            #expect(port.transmitChecksumOffload == .none)
            let destination = try kernelMAC(of: pair.second.name, in: kernelSide)
            #expect(sendPartial(partialTCPFrame(from: port.macAddress, to: destination), through: port) == 0)
            #expect(port.statistics.transmitDrops == 1)
        }
    }
}
#endif
