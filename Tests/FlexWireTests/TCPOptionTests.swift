import FlexWire
import Testing

@Suite("TCP options")
struct TCPOptionTests {
    private func walk(_ bytes: [UInt8]) -> (options: [TCPOption], error: WireError?) {
        withBytes(bytes) { base, count in
            var iterator = TCPOptionIterator(bytes: base, count: count)
            var options: [TCPOption] = []
            do throws(WireError) {
                while let option = try iterator.next() { options.append(option) }
            } catch {
                // After an error the walk is over.
                do throws(WireError) {
                    let next = try iterator.next()
                    #expect(next == nil)
                } catch {
                    Issue.record("the iterator threw again: \(error)")
                }
                return (options, error)
            }
            return (options, nil)
        }
    }

    private func encoded(_ options: TCPOptions) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0xcc, count: options.encodedLength)
        #expect(try bytes.withUnsafeMutableBytes { try options.emit(into: $0) } == bytes.count)
        return bytes
    }

    private static func blocks(_ count: Int) -> TCPSACKBlocks {
        var blocks = TCPSACKBlocks()
        for index in 0..<count {
            blocks.append(TCPSACKBlock(leftEdge: SequenceNumber(UInt32(index) &* 1000 &+ 0xffff_fc00),
                                       rightEdge: SequenceNumber(UInt32(index) &* 1000 &+ 0xffff_fe00)))
        }
        return blocks
    }

    @Test("every combination round-trips, 4-byte aligned, within 40 bytes", arguments: 0..<16, 0...4)
    func everyCombination(mask: Int, sackBlockCount: Int) throws {
        let options = TCPOptions(maximumSegmentSize: mask & 1 != 0 ? 1460 : nil, windowScale: mask & 2 != 0 ? 14 : nil,
                                 sackPermitted: mask & 4 != 0,
                                 timestamps: mask & 8 != 0 ? TCPTimestamps(value: 0xdead_beef, echoReply: 1) : nil,
                                 sackBlocks: Self.blocks(sackBlockCount))
        let bytes = try encoded(options)
        #expect(bytes.count % 4 == 0 && bytes.count <= 40)
        var expected = options
        expected.sackBlocks = Self.blocks(min(sackBlockCount, options.emittedSACKBlockCount))
        #expect(options.emittedSACKBlockCount <= sackBlockCount)
        let parsed = try withBytes(bytes) { try TCPOptions(parsing: TCPOptionIterator(bytes: $0, count: $1)) }
        #expect(parsed == expected)
        // SACK blocks are dropped only when they would not fit.
        if options.emittedSACKBlockCount < sackBlockCount {
            #expect(bytes.count + 8 > 40 || options.emittedSACKBlockCount == 0 && bytes.count + 12 > 40)
        }
    }

    @Test("Linux layouts: SYN options, timestamps alone, SACK-permitted alone, SACK blocks")
    func linuxLayouts() throws {
        let syn = TCPOptions(maximumSegmentSize: 1460, windowScale: 10, sackPermitted: true,
                             timestamps: TCPTimestamps(value: 0x8410_e389, echoReply: 0))
        #expect(try encoded(syn) == [UInt8](hex: "020405b40402080a8410e389000000000103030a"))
        #expect(try encoded(TCPOptions(timestamps: TCPTimestamps(value: 1, echoReply: 2))) == [UInt8](hex: "0101080a0000000100000002"))
        #expect(try encoded(TCPOptions(sackPermitted: true)) == [1, 1, 4, 2])
        #expect(try encoded(TCPOptions(sackBlocks: [TCPSACKBlock(leftEdge: SequenceNumber(1), rightEdge: SequenceNumber(2))]))
            == [UInt8](hex: "0101050a0000000100000002"))
        #expect(try encoded(TCPOptions()).isEmpty)
    }

    @Test("the aligned timestamps writer lays out what TCPOptions emits for timestamps alone, and the reader takes it back")
    func alignedTimestampsWriter() throws {
        let stamps = TCPTimestamps(value: 0x8410_e389, echoReply: 0xe31b_b046)
        var written = [UInt8](repeating: 0xcc, count: TCPTimestamps.alignedLength)
        written.withUnsafeMutableBytes { stamps.storeAligned(to: $0.baseAddress!) }
        #expect(written == (try encoded(TCPOptions(timestamps: stamps))))
        #expect(withBytes(written) { TCPTimestamps(alignedIn: $0, count: $1) } == stamps)
    }

    @Test("the iterator reports NOPs, skips unknown options by length and stops at end-of-list")
    func iteration() {
        let bytes: [UInt8] = [1, 0x1e, 4, 0xaa, 0xbb, 2, 4, 0x05, 0xb4, 0, 3, 3, 7]
        let (options, error) = walk(bytes)
        #expect(error == nil)
        #expect(options == [.noOperation, .unknown(kind: 0x1e, length: 4), .maximumSegmentSize(1460), .endOfList])
        #expect(walk([3, 3, 7, 4, 2]).options == [.windowScale(7), .sackPermitted])
        #expect(walk([]).options.isEmpty)
    }

    @Test("a repeated option overwrites the earlier one; unknown options leave the repr alone")
    func repeatedOption() throws {
        let bytes: [UInt8] = [2, 4, 0, 100, 0x1e, 2, 2, 4, 0, 200]
        let parsed = try withBytes(bytes) { try TCPOptions(parsing: TCPOptionIterator(bytes: $0, count: $1)) }
        #expect(parsed == TCPOptions(maximumSegmentSize: 200))
    }

    @Test("SACK blocks: one to four parse", arguments: 1...4)
    func sackBlocks(count: Int) {
        var bytes: [UInt8] = [TCPOptionKindNumber.sackBlocks, UInt8(2 + 8 * count)]
        for index in 0..<count { bytes += [0, 0, 0, UInt8(index), 0, 0, 1, UInt8(index)] }
        let (options, error) = walk(bytes)
        #expect(error == nil)
        guard case let .sackBlocks(blocks) = options.first else {
            Issue.record("no SACK option")
            return
        }
        #expect(blocks.count == count)
        #expect(blocks.map(\.leftEdge.rawValue) == (0..<count).map { UInt32($0) })
        #expect(blocks.map(\.rightEdge.rawValue) == (0..<count).map { 0x100 + UInt32($0) })
    }

    @Test("an option running past the header is an overrun")
    func overrun() {
        #expect(walk([1, 2]).error == .optionOverrun(kind: 2))  // no room for the length byte
        #expect(walk([2, 4, 5]).error == .optionOverrun(kind: 2))  // body cut short
        #expect(walk([0x1e, 40, 0, 0]).error == .optionOverrun(kind: 0x1e))
        #expect(walk([1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0]).options == [.noOperation, .noOperation])
    }

    @Test("a length byte of 0 or 1 is too small", arguments: [UInt8(0), 1])
    func lengthTooSmall(length: UInt8) {
        #expect(walk([2, length, 0, 0]).error == .optionLengthTooSmall(kind: 2))
        #expect(walk([0x1e, length, 0, 0]).error == .optionLengthTooSmall(kind: 0x1e))
    }

    @Test("known options with the wrong length", arguments: [
        [UInt8(2), 3, 0], [2, 5, 0, 0, 0], [3, 2], [3, 4, 0, 0], [4, 3, 0], [8, 8, 0, 0, 0, 0, 0, 0],
        [5, 2], [5, 9] + [UInt8](repeating: 0, count: 7), [5, 11] + [UInt8](repeating: 0, count: 9),
        [5, 42] + [UInt8](repeating: 0, count: 40),
    ])
    func badLength(bytes: [UInt8]) {
        #expect(walk(bytes).error == .badOptionLength(kind: bytes[0]))
    }

    @Test("SACK block storage holds four and refuses a fifth")
    func sackStorage() {
        var blocks = Self.blocks(4)
        let appended = blocks.append(TCPSACKBlock(leftEdge: SequenceNumber(0), rightEdge: SequenceNumber(1)))
        #expect(!appended)
        #expect(blocks.count == 4 && blocks == Self.blocks(4) && blocks != Self.blocks(3))
        #expect(Set([Self.blocks(2), Self.blocks(2)]).count == 1)
    }
}
