import Testing
@testable import FlexKVS

@Suite("FlexKVS binary protocol")
struct BinaryProtocolTests {
    static let flags: [UInt8] = [0, 0, 0, 7, 0, 0, 0, 0]

    @Test("set and get echo the opaque, return flags and CAS; quiet gets answer only hits, NOOP ends the batch")
    func getFamily() throws {
        let harness = SessionHarness()
        let set = try #require(BinaryResponse.parseAll(harness.feed(binaryRequest(0x01, key: Array("k".utf8), extras: Self.flags, value: Array("val".utf8)))).first)
        #expect(set.status == 0 && set.opaque == 0xA1B2_C3D4 && set.cas != 0)
        let batch = binaryRequest(0x09, key: Array("missing".utf8)) + binaryRequest(0x0D, key: Array("k".utf8), opaque: 2)
            + binaryRequest(0x0C, key: Array("missing".utf8), opaque: 3) + binaryRequest(0x00, key: Array("missing".utf8), opaque: 4)
            + binaryRequest(0x0A, opaque: 5)
        let responses = BinaryResponse.parseAll(harness.feed(batch, chunk: 5))
        #expect(responses.map(\.opaque) == [2, 3, 4, 5])
        #expect(responses[0].extras == [0, 0, 0, 7] && responses[0].key == Array("k".utf8) && responses[0].value == Array("val".utf8))
        #expect(responses[0].cas == set.cas)
        #expect(responses[1].status == 1 && responses[1].key == Array("missing".utf8))
        #expect(responses[2].status == 1 && responses[2].value == Array("Not found".utf8))
        #expect(responses[3].opcode == 0x0A && responses[3].status == 0)
    }

    @Test("CAS in the header conditions set and delete; add of an existing key is EEXISTS, replace of a missing one ENOENT")
    func casSemantics() throws {
        let harness = SessionHarness()
        let stored = try #require(BinaryResponse.parseAll(harness.feed(binaryRequest(0x01, key: [0x6B], extras: Self.flags, value: [1]))).first)
        let responses = BinaryResponse.parseAll(harness.feed(
            binaryRequest(0x01, key: [0x6B], extras: Self.flags, value: [2], cas: stored.cas &+ 1)
                + binaryRequest(0x02, key: [0x6B], extras: Self.flags, value: [2])
                + binaryRequest(0x03, key: [0x7A], extras: Self.flags, value: [2])
                + binaryRequest(0x04, key: [0x6B], cas: stored.cas &+ 1)
                + binaryRequest(0x01, key: [0x6B], extras: Self.flags, value: [3], cas: stored.cas)
                + binaryRequest(0x0E, key: [0x7A], value: [4])))
        #expect(responses.map(\.status) == [2, 2, 1, 2, 0, 5])
        #expect(responses[0].value == Array("Data exists for key.".utf8))
        #expect(responses[5].value == Array("Not stored.".utf8))
    }

    @Test("incr creates with the initial value unless the expiry is 0xffffffff; quiet variants stay silent on success")
    func arithmetic() {
        let harness = SessionHarness()
        func extras(delta: UInt64, initial: UInt64, expiry: UInt32) -> [UInt8] {
            bigEndianBytes(delta) + bigEndianBytes(initial) + bigEndianBytes(expiry)
        }
        let responses = BinaryResponse.parseAll(harness.feed(
            binaryRequest(0x05, key: [0x6E], extras: extras(delta: 1, initial: 0, expiry: 0xFFFF_FFFF))
                + binaryRequest(0x05, key: [0x6E], extras: extras(delta: 1, initial: 10, expiry: 0))
                + binaryRequest(0x15, key: [0x6E], extras: extras(delta: 5, initial: 0, expiry: 0))
                + binaryRequest(0x06, key: [0x6E], extras: extras(delta: 100, initial: 0, expiry: 0))
                + binaryRequest(0x11, key: [0x71], extras: Self.flags, value: [0x78])
                + binaryRequest(0x05, key: [0x71], extras: extras(delta: 1, initial: 0, expiry: 0))))
        #expect(responses.map(\.status) == [1, 0, 0, 6])
        #expect(responses[1].value == bigEndianBytes(UInt64(10)))
        #expect(responses[2].value == bigEndianBytes(UInt64(0)))
    }

    @Test("a malformed header gets Invalid arguments and closes; an unknown opcode skips its body")
    func badRequests() {
        let unknown = SessionHarness()
        let skipped = BinaryResponse.parseAll(unknown.feed(binaryRequest(0x30, key: Array("abc".utf8), value: Array("xyz".utf8)) + binaryRequest(0x0A, opaque: 9)))
        #expect(skipped.map(\.status) == [0x81, 0])
        #expect(!unknown.session.wantsClose)
        let malformed = SessionHarness()
        let refused = BinaryResponse.parseAll(malformed.feed(binaryRequest(0x00, key: [], opaque: 1) + binaryRequest(0x0A)))
        #expect(refused.map(\.status) == [4])
        #expect(malformed.session.wantsClose)
        let longKey = SessionHarness()
        _ = longKey.feed(binaryRequest(0x00, key: [UInt8](repeating: 0x6B, count: 251)))
        #expect(longKey.session.wantsClose)
    }

    @Test("a too-large value gets Too large. and its bytes are discarded as they arrive; the connection goes on")
    func tooLarge() {
        let harness = SessionHarness()
        let request = binaryRequest(0x11, key: [0x62], extras: Self.flags, value: [UInt8](repeating: 0x78, count: 2 << 20))
        let responses = BinaryResponse.parseAll(harness.feed(request + binaryRequest(0x0A, opaque: 7), chunk: 60_000))
        #expect(responses.map(\.status) == [3, 0])
        #expect(responses[0].value == Array("Too large.".utf8))
        #expect(harness.input.count == 0)
    }

    @Test("stat sends one response per statistic and an empty one last; quit answers, quitq does not")
    func statAndQuit() {
        let harness = SessionHarness()
        let stats = BinaryResponse.parseAll(harness.feed(binaryRequest(0x10)))
        #expect(stats.count > 10)
        #expect(stats.last?.key == [] && stats.last?.value == [])
        #expect(stats.contains { $0.key == Array("curr_items".utf8) && $0.value == Array("0".utf8) })
        let quiet = SessionHarness()
        #expect(quiet.feed(binaryRequest(0x17)).isEmpty)
        #expect(quiet.session.wantsClose)
    }
}
