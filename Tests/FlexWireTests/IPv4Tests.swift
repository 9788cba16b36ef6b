import FlexPort
import FlexWire
import Testing

@Suite("IPv4")
struct IPv4Tests {
    /// A 20-byte header for `repr` followed by `payload`.
    private func packet(_ repr: IPv4Repr, payload: [UInt8] = []) throws -> [UInt8] {
        var repr = repr
        repr.payloadLength = payload.count
        var bytes = [UInt8](repeating: 0, count: 20)
        #expect(try bytes.withUnsafeMutableBytes { try repr.emit(into: $0) } == 20)
        return bytes + payload
    }

    @Test("every field round-trips", arguments: ECNCodepoint.allCases)
    func roundTrip(ecn: ECNCodepoint) throws {
        let repr = IPv4Repr(source: Sample.ipA, destination: Sample.ipB, protocolNumber: .udp, payloadLength: 3,
                            timeToLive: 17, identification: 0xbeef, dontFragment: false, moreFragments: true,
                            fragmentOffset: 0x1ff8, differentiatedServices: 46, ecn: ecn)
        let bytes = try packet(repr, payload: [1, 2, 3])
        try withBytes(bytes) { base, length in
            let view = try IPv4Packet(checking: base, length: length)
            #expect(view.version == 4 && view.headerLength == 20 && !view.hasOptions && view.options.isEmpty)
            #expect(view.totalLength == 23 && view.length == 23 && Array(view.payload) == [1, 2, 3])
            #expect(view.differentiatedServices == 46 && view.ecn == ecn)
            #expect(view.identification == 0xbeef && !view.dontFragment && view.moreFragments && view.fragmentOffset == 0x1ff8)
            #expect(view.isFragment && view.timeToLive == 17 && view.protocolNumber == .udp)
            #expect(view.isHeaderChecksumValid)
            let parsed = try IPv4Repr(parsing: view)
            #expect(parsed == repr)
        }
    }

    @Test("fragments are flagged: more-fragments, or a non-zero offset")
    func fragmentFlags() throws {
        var repr = Sample.ipv4()
        for (more, offset, expected) in [(false, UInt16(0), false), (true, 0, true), (false, 8, true), (true, 1480, true)] {
            repr.moreFragments = more
            repr.fragmentOffset = offset
            #expect(repr.isFragment == expected)
            try withBytes(packet(repr)) { base, length in
                let view = try IPv4Packet(checking: base, length: length)
                #expect(view.isFragment == expected)
            }
        }
    }

    @Test("options are exposed and flagged, and the payload starts after them")
    func options() throws {
        var bytes = try packet(Sample.ipv4(), payload: [0xaa, 0xbb])
        // IHL 6 with a 4-byte option (router alert, RFC 2113) inserted after the fixed header.
        bytes.insert(contentsOf: [0x94, 0x04, 0x00, 0x00], at: 20)
        bytes[0] = 0x46
        bytes[3] += 4
        let checksummed = try withMutableBytes(bytes) { base, length in
            try IPv4Packet(checking: base, length: length).fillHeaderChecksum()
        }
        try withBytes(checksummed) { base, length in
            let view = try IPv4Packet(checking: base, length: length)
            #expect(view.hasOptions && view.headerLength == 24 && Array(view.options) == [0x94, 0x04, 0x00, 0x00])
            #expect(Array(view.payload) == [0xaa, 0xbb] && view.isHeaderChecksumValid)
            let parsed = try IPv4Repr(parsing: view)
            #expect(parsed.payloadLength == 2)
        }
    }

    @Test("the total length wins over trailing bytes (Ethernet padding)")
    func paddingIgnored() throws {
        let bytes = try packet(Sample.ipv4(), payload: [1, 2]) + [UInt8](repeating: 0, count: 10)
        try withBytes(bytes) { base, length in
            let view = try IPv4Packet(checking: base, length: length)
            #expect(view.length == 22 && view.payloadLength == 2)
        }
    }

    @Test("malformed headers give their typed errors")
    func malformed() throws {
        let good = try packet(Sample.ipv4(), payload: [1, 2, 3, 4])
        func check(_ expected: WireError, _ mutate: (inout [UInt8]) -> Void) {
            var bytes = good
            mutate(&bytes)
            #expect(throws: expected) { try withBytes(bytes) { try IPv4Packet(checking: $0, length: $1) } }
        }
        check(.truncated(.ipv4)) { $0.removeLast(5) }
        check(.badVersion(6)) { $0[0] = 0x65 }
        check(.badHeaderLength(.ipv4)) { $0[0] = 0x44 }
        check(.badLength(.ipv4)) { $0[3] = 25 }  // total length beyond the buffer
        check(.badLength(.ipv4)) { $0[3] = 19 }  // total length below the header
        check(.badLength(.ipv4)) { $0[0] = 0x46; $0[3] = 22 }  // header (24) longer than the total length
        var bad = good
        bad[8] ^= 1
        #expect(throws: WireError.badChecksum(.ipv4)) {
            try withBytes(bad) { try IPv4Repr(parsing: IPv4Packet(checking: $0, length: $1)) }
        }
        #expect(throws: Never.self) {
            try withBytes(bad) { try IPv4Repr(parsing: IPv4Packet(checking: $0, length: $1), verifyChecksum: false) }
        }
    }

    @Test("emit refuses a total length above 65535 and a small buffer")
    func emitLimits() {
        var bytes = [UInt8](repeating: 0, count: 20)
        var repr = Sample.ipv4()
        repr.payloadLength = 65516
        #expect(throws: WireError.badLength(.ipv4)) { try bytes.withUnsafeMutableBytes { try repr.emit(into: $0) } }
        repr.payloadLength = 65515
        #expect(throws: Never.self) { try bytes.withUnsafeMutableBytes { try repr.emit(into: $0) } }
        var small = [UInt8](repeating: 0, count: 19)
        #expect(throws: WireError.bufferTooSmall) { try small.withUnsafeMutableBytes { try repr.emit(into: $0) } }
    }

    @Test("setters plus fillHeaderChecksum produce what emit produces")
    func settersMatchEmit() throws {
        let target = IPv4Repr(source: Sample.ipB, destination: Sample.ipA, protocolNumber: .icmp, payloadLength: 0,
                              timeToLive: 3, identification: 77, dontFragment: false, moreFragments: true,
                              fragmentOffset: 16, differentiatedServices: 10, ecn: .ect1)
        let built = try withMutableBytes(packet(Sample.ipv4())) { base, length in
            let view = try IPv4Packet(checking: base, length: length)
            view.setSource(Sample.ipB)
            view.setDestination(Sample.ipA)
            view.setProtocolNumber(.icmp)
            view.setTimeToLive(3)
            view.setIdentification(77)
            view.setFragmentation(dontFragment: false, moreFragments: true, offset: 16)
            view.setDifferentiatedServices(10)
            view.setECN(.ect1)
            view.setTotalLength(20)
            view.fillHeaderChecksum()
        }
        #expect(built == (try packet(target)))
    }

    @Test("updateECN keeps the header checksum valid (RFC 1624) for every transition on random headers")
    func ecnIncrementalUpdate() throws {
        var random = SeededRandom(seed: 3168)
        for _ in 0..<2_000 {
            let repr = IPv4Repr(source: IPv4Address(UInt32.random(in: 0...UInt32.max, using: &random)),
                                destination: IPv4Address(UInt32.random(in: 0...UInt32.max, using: &random)),
                                protocolNumber: IPProtocol(rawValue: UInt8.random(in: 0...255, using: &random)),
                                payloadLength: 0, timeToLive: UInt8.random(in: 0...255, using: &random),
                                identification: UInt16.random(in: 0...0xffff, using: &random),
                                differentiatedServices: UInt8.random(in: 0...63, using: &random),
                                ecn: ECNCodepoint.allCases.randomElement(using: &random)!)
            let original = try packet(repr)
            for newECN in ECNCodepoint.allCases {
                let marked = try withMutableBytes(original) { base, length in
                    try IPv4Packet(checking: base, length: length).updateECN(newECN)
                }
                let recomputed = try withMutableBytes(marked) { base, length in
                    try IPv4Packet(checking: base, length: length).fillHeaderChecksum()
                }
                #expect(marked == recomputed)
                var expected = repr
                expected.ecn = newECN
                #expect(marked == (try packet(expected)))
            }
        }
    }
}
