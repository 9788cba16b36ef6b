import FlexWire
import Testing

@Suite("UDP")
struct UDPTests {
    private let repr = UDPRepr(sourcePort: 5353, destinationPort: 40001)

    private func datagram(_ payload: [UInt8], repr: UDPRepr? = nil) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 8 + payload.count)
        let written = try bytes.withUnsafeMutableBytes { buffer in
            try payload.withUnsafeBytes { try (repr ?? self.repr).emit(into: buffer, payload: $0, source: Sample.ipA, destination: Sample.ipB) }
        }
        #expect(written == bytes.count)
        return bytes
    }

    @Test("round-trips with even, odd and empty payloads")
    func roundTrip() throws {
        for payload in [[], [1], [1, 2], Array(0..<201)] as [[UInt8]] {
            let bytes = try datagram(payload)
            try withBytes(bytes) { base, length in
                let view = try UDPDatagram(checking: base, length: length)
                #expect(view.sourcePort == 5353 && view.destinationPort == 40001)
                #expect(Int(view.lengthField) == 8 + payload.count && Array(view.payload) == payload)
                #expect(view.checksum != 0 && view.isChecksumValid(source: Sample.ipA, destination: Sample.ipB))
                #expect(!view.isChecksumValid(source: Sample.ipA, destination: Sample.ipA))
                let parsed = try UDPRepr(parsing: view, source: Sample.ipA, destination: Sample.ipB)
                #expect(parsed == repr)
            }
        }
    }

    @Test("a checksum of 0 means none and is accepted")
    func zeroChecksumMeansNone() throws {
        var bytes = try datagram([1, 2, 3])
        bytes[6] = 0
        bytes[7] = 0
        try withBytes(bytes) { base, length in
            let parsed = try UDPRepr(parsing: UDPDatagram(checking: base, length: length), source: Sample.ipA, destination: Sample.ipB)
            #expect(parsed == repr)
        }
    }

    @Test("a computed checksum of 0 is sent as 0xFFFF, which verifies")
    func computedZeroSentAsAllOnes() throws {
        // With a zero payload word the checksum is c; putting c into the payload makes the sum all ones.
        let first = try datagram([0, 0])
        let forcing = try datagram([first[6], first[7]])
        #expect(forcing[6] == 0xff && forcing[7] == 0xff)
        try withBytes(forcing) { base, length in
            let view = try UDPDatagram(checking: base, length: length)
            #expect(view.isChecksumValid(source: Sample.ipA, destination: Sample.ipB))
        }
    }

    @Test("malformed datagrams give their typed errors; trailing bytes past the length are ignored")
    func malformed() throws {
        let good = try datagram([1, 2, 3, 4])
        #expect(throws: WireError.truncated(.udp)) { try withBytes(Array(good.prefix(7))) { try UDPDatagram(checking: $0, length: $1) } }
        var short = good
        short[5] = 7
        #expect(throws: WireError.badLength(.udp)) { try withBytes(short) { try UDPDatagram(checking: $0, length: $1) } }
        var long = good
        long[5] = 13
        #expect(throws: WireError.badLength(.udp)) { try withBytes(long) { try UDPDatagram(checking: $0, length: $1) } }
        var corrupted = good
        corrupted[9] ^= 0x80
        #expect(throws: WireError.badChecksum(.udp)) {
            try withBytes(corrupted) { try UDPRepr(parsing: UDPDatagram(checking: $0, length: $1), source: Sample.ipA, destination: Sample.ipB) }
        }
        try withBytes(good + [0xee, 0xee]) { base, length in
            let view = try UDPDatagram(checking: base, length: length)
            #expect(view.length == 12 && view.isChecksumValid(source: Sample.ipA, destination: Sample.ipB))
        }
    }

    @Test("setters plus fillChecksum produce what emit produces")
    func setters() throws {
        let target = try datagram([7, 7, 7], repr: UDPRepr(sourcePort: 1, destinationPort: 2))
        let built = try withMutableBytes(datagram([7, 7, 7])) { base, length in
            let view = try UDPDatagram(checking: base, length: length)
            view.setSourcePort(1)
            view.setDestinationPort(2)
            view.setLengthField(11)
            view.fillChecksum(source: Sample.ipA, destination: Sample.ipB)
        }
        #expect(built == target)
    }

    @Test("emit refuses a datagram over 65535 bytes")
    func emitTooLong() {
        let payload = [UInt8](repeating: 0, count: 65528)
        var bytes = [UInt8](repeating: 0, count: 65536)
        #expect(throws: WireError.badLength(.udp)) {
            try bytes.withUnsafeMutableBytes { buffer in
                try payload.withUnsafeBytes { try repr.emit(into: buffer, payload: $0, source: Sample.ipA, destination: Sample.ipB) }
            }
        }
    }
}
