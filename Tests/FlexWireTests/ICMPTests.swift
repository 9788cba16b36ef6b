import FlexWire
import Testing

@Suite("ICMPv4")
struct ICMPTests {
    private func message(_ repr: ICMPv4Repr, payload: [UInt8]) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 8 + payload.count)
        let written = try bytes.withUnsafeMutableBytes { buffer in
            try payload.withUnsafeBytes { try repr.emit(into: buffer, payload: $0) }
        }
        #expect(written == bytes.count)
        return bytes
    }

    @Test("echo request, echo reply and other messages round-trip with their payload", arguments: [
        ICMPv4Repr.echoRequest(identifier: 0x1234, sequenceNumber: 7),
        .echoReply(identifier: 0xffff, sequenceNumber: 0),
        .other(type: 3, code: 3, restOfHeader: 0),
        .other(type: 11, code: 0, restOfHeader: 0xdead_beef),
        .other(type: 8, code: 1, restOfHeader: 0x0001_0002),
    ])
    func roundTrip(repr: ICMPv4Repr) throws {
        for payload in [[], [0x42], Array(0..<57)] as [[UInt8]] {
            let bytes = try message(repr, payload: payload)
            try withBytes(bytes) { base, length in
                let view = try ICMPv4Packet(checking: base, length: length)
                #expect(view.isChecksumValid && Array(view.payload) == payload)
                let parsed = try ICMPv4Repr(parsing: view)
                #expect(parsed == repr)
            }
        }
    }

    @Test("echo fields sit where RFC 792 puts them")
    func echoLayout() throws {
        let bytes = try message(.echoRequest(identifier: 0x0102, sequenceNumber: 0x0304), payload: [])
        #expect(bytes[0] == 8 && bytes[1] == 0 && Array(bytes[4...]) == [1, 2, 3, 4])
        try withBytes(bytes) { base, length in
            let view = try ICMPv4Packet(checking: base, length: length)
            #expect(view.identifier == 0x0102 && view.sequenceNumber == 0x0304 && view.restOfHeader == 0x0102_0304)
        }
    }

    @Test("fewer than 8 bytes is truncated; a bad checksum is reported")
    func malformed() throws {
        #expect(throws: WireError.truncated(.icmp)) { try withBytes([8, 0, 0, 0, 0, 0, 0]) { try ICMPv4Packet(checking: $0, length: $1) } }
        var bytes = try message(.echoReply(identifier: 1, sequenceNumber: 2), payload: [9, 9, 9])
        bytes[9] = 0
        #expect(throws: WireError.badChecksum(.icmp)) {
            try withBytes(bytes) { try ICMPv4Repr(parsing: ICMPv4Packet(checking: $0, length: $1)) }
        }
    }

    @Test("a small buffer throws")
    func emitTooSmall() {
        var bytes = [UInt8](repeating: 0, count: 9)
        #expect(throws: WireError.bufferTooSmall) {
            try bytes.withUnsafeMutableBytes { buffer in
                try [UInt8](repeating: 0, count: 2).withUnsafeBytes {
                    try ICMPv4Repr.echoRequest(identifier: 0, sequenceNumber: 0).emit(into: buffer, payload: $0)
                }
            }
        }
    }
}
