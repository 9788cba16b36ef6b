import FlexWire
import Testing

@Suite("ARP for IPv4 over Ethernet")
struct ARPTests {
    static let request = ARPRepr(operation: .request, senderHardwareAddress: Sample.macA, senderProtocolAddress: Sample.ipA,
                                 targetHardwareAddress: .zero, targetProtocolAddress: Sample.ipB)

    @Test("request and reply round-trip", arguments: [ARPRepr.Operation.request, .reply])
    func roundTrip(operation: ARPRepr.Operation) throws {
        var repr = Self.request
        repr.operation = operation
        var bytes = [UInt8](repeating: 0, count: 28)
        #expect(try bytes.withUnsafeMutableBytes { try repr.emit(into: $0) } == 28)
        #expect(Array(bytes.prefix(8)) == [0, 1, 8, 0, 6, 4, 0, operation == .request ? 1 : 2])
        try withBytes(bytes) { base, length in
            let parsed = try ARPRepr(parsing: ARPPacket(checking: base, length: length))
            #expect(parsed == repr)
        }
    }

    @Test("fewer than 28 bytes is truncated")
    func truncated() throws {
        var bytes = [UInt8](repeating: 0, count: 28)
        _ = try bytes.withUnsafeMutableBytes { try Self.request.emit(into: $0) }
        #expect(throws: WireError.truncated(.arp)) { try withBytes(Array(bytes.prefix(27))) { try ARPPacket(checking: $0, length: $1) } }
    }

    @Test("other hardware types, protocols or address lengths are unsupported", arguments: [(1, 0x02), (3, 0x01), (4, 8), (5, 16)])
    func unsupportedFormat(index: Int, value: UInt8) throws {
        var bytes = [UInt8](repeating: 0, count: 28)
        _ = try bytes.withUnsafeMutableBytes { try Self.request.emit(into: $0) }
        bytes[index] = value
        #expect(throws: WireError.unsupportedARPFormat) { try withBytes(bytes) { try ARPPacket(checking: $0, length: $1) } }
    }

    @Test("operations other than request and reply are rejected by the repr")
    func unsupportedOperation() throws {
        var bytes = [UInt8](repeating: 0, count: 28)
        _ = try bytes.withUnsafeMutableBytes { try Self.request.emit(into: $0) }
        bytes[7] = 3
        #expect(throws: WireError.unsupportedARPOperation(3)) {
            try withBytes(bytes) { try ARPRepr(parsing: ARPPacket(checking: $0, length: $1)) }
        }
    }

    @Test("setters turn a request into the reply in place")
    func settersBuildReply() throws {
        var bytes = [UInt8](repeating: 0, count: 28)
        _ = try bytes.withUnsafeMutableBytes { try Self.request.emit(into: $0) }
        let reply = try withMutableBytes(bytes) { base, length in
            let packet = try ARPPacket(checking: base, length: length)
            packet.setOperation(ARPRepr.Operation.reply.rawValue)
            packet.setTargetHardwareAddress(packet.senderHardwareAddress)
            packet.setTargetProtocolAddress(packet.senderProtocolAddress)
            packet.setSenderHardwareAddress(Sample.macB)
            packet.setSenderProtocolAddress(Sample.ipB)
        }
        try withBytes(reply) { base, length in
            let parsed = try ARPRepr(parsing: ARPPacket(checking: base, length: length))
            #expect(parsed == ARPRepr(
                operation: .reply, senderHardwareAddress: Sample.macB, senderProtocolAddress: Sample.ipB,
                targetHardwareAddress: Sample.macA, targetProtocolAddress: Sample.ipA))
        }
    }

    @Test("an ARP frame padded to the Ethernet minimum parses; the padding is the payload")
    func paddedFrame() throws {
        let padded = CapturedFrames.arpRequest + [UInt8](repeating: 0, count: 18)
        let parsed = try parseFrame(padded)
        #expect(parsed.payloadRange == 42..<60)
        #expect(try buildFrame(parsed.headers, payload: Array(padded[parsed.payloadRange])) == padded)
    }
}
