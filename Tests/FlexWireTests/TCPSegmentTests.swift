import FlexWire
import Testing

@Suite("TCP segments")
struct TCPSegmentTests {
    static let repr = TCPSegmentRepr(sourcePort: 40000, destinationPort: 80, sequenceNumber: SequenceNumber(0xffff_fffe),
                                     acknowledgmentNumber: SequenceNumber(0x0102_0304), flags: [.ack, .psh, .urg, .ece, .cwr],
                                     window: 0xfedc, urgentPointer: 3,
                                     options: TCPOptions(timestamps: TCPTimestamps(value: 10, echoReply: 20)))

    static func segment(_ repr: TCPSegmentRepr = repr, payload: [UInt8] = []) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: repr.headerLength + payload.count)
        let written = try bytes.withUnsafeMutableBytes { buffer in
            try payload.withUnsafeBytes { try repr.emit(into: buffer, payload: $0, source: Sample.ipA, destination: Sample.ipB) }
        }
        #expect(written == bytes.count)
        return bytes
    }

    @Test("header fields, options and payload round-trip", arguments: [0, 1, 2, 1459])
    func roundTrip(payloadCount: Int) throws {
        let payload = (0..<payloadCount).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let bytes = try Self.segment(payload: payload)
        try withBytes(bytes) { base, length in
            let view = try TCPSegment(checking: base, length: length)
            #expect(view.sourcePort == 40000 && view.destinationPort == 80)
            #expect(view.sequenceNumber == SequenceNumber(0xffff_fffe) && view.acknowledgmentNumber == SequenceNumber(0x0102_0304))
            #expect(view.dataOffset == 8 && view.headerLength == 32 && view.options.count == 12)
            #expect(view.flags == [.ack, .psh, .urg, .ece, .cwr] && view.window == 0xfedc && view.urgentPointer == 3)
            #expect(Array(view.payload) == payload && view.isChecksumValid(source: Sample.ipA, destination: Sample.ipB))
            let parsed = try TCPSegmentRepr(parsing: view, source: Sample.ipA, destination: Sample.ipB)
            #expect(parsed == Self.repr)
        }
    }

    @Test("aligned timestamps are read directly only for the exact NOP, NOP, timestamps layout")
    func alignedTimestamps() throws {
        func timestamps(_ options: TCPOptions) throws -> TCPTimestamps? {
            var repr = Self.repr
            repr.options = options
            return try withBytes(Self.segment(repr)) { try TCPSegment(checking: $0, length: $1).alignedTimestamps }
        }
        let stamps = TCPTimestamps(value: 0x8410_e389, echoReply: 0xe31b_b046)
        #expect(try timestamps(TCPOptions(timestamps: stamps)) == stamps)
        #expect(try timestamps(TCPOptions(sackPermitted: true, timestamps: stamps)) == nil)
        #expect(try timestamps(TCPOptions(timestamps: stamps, sackBlocks: [TCPSACKBlock(leftEdge: SequenceNumber(1), rightEdge: SequenceNumber(2))])) == nil)
        #expect(try timestamps(TCPOptions()) == nil)
        let captured = try withBytes(CapturedFrames.tcpAck) { try TCPSegment(checking: $0 + 34, length: $1 - 34).alignedTimestamps }
        #expect(captured == stamps)
    }

    @Test("flag bits sit where RFC 9293 and RFC 3168 put them")
    func flagBits() {
        let flags: [TCPFlags] = [.fin, .syn, .rst, .psh, .ack, .urg, .ece, .cwr]
        #expect(flags.map(\.rawValue) == [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80])
    }

    @Test("malformed segments give their typed errors")
    func malformed() throws {
        let good = try Self.segment(payload: [1, 2, 3])
        func check(_ expected: WireError, _ bytes: [UInt8]) {
            #expect(throws: expected) { try withBytes(bytes) { try TCPSegment(checking: $0, length: $1) } }
        }
        check(.truncated(.tcp), Array(good.prefix(19)))
        var offsetFour = good
        offsetFour[12] = 0x40
        check(.badHeaderLength(.tcp), offsetFour)
        check(.badHeaderLength(.tcp), Array(good.prefix(31)))  // data offset 8 words, 31 bytes
        var zeroOffset = good
        zeroOffset[12] = 0x00
        check(.badHeaderLength(.tcp), zeroOffset)
        var corrupted = good
        corrupted[34] ^= 0x10
        #expect(throws: WireError.badChecksum(.tcp)) {
            try withBytes(corrupted) { try TCPSegmentRepr(parsing: TCPSegment(checking: $0, length: $1), source: Sample.ipA, destination: Sample.ipB) }
        }
    }

    @Test("an option error surfaces from the repr parse")
    func optionErrorPropagates() throws {
        var bytes = try Self.segment()
        bytes[20] = TCPOptionKindNumber.timestamps
        bytes[21] = 0  // zero-length option
        #expect(throws: WireError.optionLengthTooSmall(kind: 8)) {
            try withBytes(bytes) {
                try TCPSegmentRepr(parsing: TCPSegment(checking: $0, length: $1), source: Sample.ipA, destination: Sample.ipB, verifyChecksum: false)
            }
        }
    }

    @Test("setters plus fillChecksum build in place what emit builds")
    func settersMatchEmit() throws {
        let target = TCPSegmentRepr(sourcePort: 1, destinationPort: 2, sequenceNumber: SequenceNumber(3),
                                    acknowledgmentNumber: SequenceNumber(4), flags: [.syn, .ack], window: 5, urgentPointer: 6)
        let built = try withMutableBytes(Self.segment(payload: [9, 9])) { base, length in
            let view = try TCPSegment(checking: base, length: length)
            // Move the payload up over the options, then shrink the header to 5 words.
            (base + 20).copyMemory(from: base + 32, byteCount: 2)
            view.setDataOffset(5)
            let shrunk = try TCPSegment(checking: base, length: 22)
            shrunk.setSourcePort(1)
            shrunk.setDestinationPort(2)
            shrunk.setSequenceNumber(SequenceNumber(3))
            shrunk.setAcknowledgmentNumber(SequenceNumber(4))
            shrunk.setFlags([.syn, .ack])
            shrunk.setWindow(5)
            shrunk.setUrgentPointer(6)
            shrunk.fillChecksum(source: Sample.ipA, destination: Sample.ipB)
        }
        #expect(Array(built.prefix(22)) == (try Self.segment(target, payload: [9, 9])))
    }

    @Test("emit writes the payload in place when it already sits after the header")
    func payloadInPlace() throws {
        let expected = try Self.segment(payload: [5, 6, 7])
        var bytes = [UInt8](repeating: 0, count: expected.count)
        bytes[32] = 5
        bytes[33] = 6
        bytes[34] = 7
        _ = try bytes.withUnsafeMutableBytes { buffer in
            try Self.repr.emit(into: buffer, payload: UnsafeRawBufferPointer(rebasing: buffer[32...]), source: Sample.ipA, destination: Sample.ipB)
        }
        #expect(bytes == expected)
    }

    @Test("a small buffer throws")
    func emitTooSmall() {
        var bytes = [UInt8](repeating: 0, count: 31)
        #expect(throws: WireError.bufferTooSmall) {
            try bytes.withUnsafeMutableBytes { try Self.repr.emit(into: $0, payload: UnsafeRawBufferPointer(start: nil, count: 0), source: Sample.ipA, destination: Sample.ipB) }
        }
    }
}

/// Option kind numbers as the tests write them into raw bytes (IANA registry).
enum TCPOptionKindNumber {
    static let endOfList: UInt8 = 0
    static let noOperation: UInt8 = 1
    static let maximumSegmentSize: UInt8 = 2
    static let windowScale: UInt8 = 3
    static let sackPermitted: UInt8 = 4
    static let sackBlocks: UInt8 = 5
    static let timestamps: UInt8 = 8
}
