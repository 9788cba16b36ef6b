import Testing
@testable import FlexKVS

@Suite("FlexKVS text protocol")
struct TextProtocolTests {
    static let script = "set a 5 0 3\r\nabc\r\nget a b\r\ngets a\r\nbogus\r\nset a 1 2\r\nset a x 0 1\r\nb\r\n"
        + "set b 0 0 3\r\nabcd\r\nget b\r\nincr a 1\r\nset n 0 0 2\r\n10\r\nincr n 5\r\ndecr n 100\r\n"
        + "incr n x\r\nincr zz 1\r\nappend n 0 0 2\r\n77\r\nget n\r\ndelete n\r\ndelete n\r\ndelete n 5\r\n"
        + "touch a 100\r\ngat 0 a\r\nverbosity 1\r\nflush_all\r\nget a\r\nset big 0 0 70000\r\n"
        + String(repeating: "v", count: 70000) + "\r\nget big\r\n"

    static let expected = "STORED\r\nVALUE a 5 3\r\nabc\r\nEND\r\nVALUE a 5 3 1\r\nabc\r\nEND\r\nERROR\r\nERROR\r\n"
        + "CLIENT_ERROR bad command line format\r\nERROR\r\nCLIENT_ERROR bad data chunk\r\nERROR\r\nEND\r\n"
        + "CLIENT_ERROR cannot increment or decrement non-numeric value\r\nSTORED\r\n15\r\n0\r\n"
        + "CLIENT_ERROR invalid numeric delta argument\r\nNOT_FOUND\r\nSTORED\r\nVALUE n 0 4\r\n0 77\r\nEND\r\n"
        + "DELETED\r\nNOT_FOUND\r\nCLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n"
        + "TOUCHED\r\nVALUE a 5 3\r\nabc\r\nEND\r\nOK\r\nOK\r\nEND\r\nSTORED\r\nVALUE big 0 70000\r\n"
        + String(repeating: "v", count: 70000) + "\r\nEND\r\n"

    @Test("a pipelined script gets memcached 1.6's replies, byte for byte")
    func pipelined() {
        #expect(SessionHarness().text(Self.script) == Self.expected)
    }

    @Test("requests split anywhere get the same replies", arguments: [1, 2, 3, 7, 64, 1000])
    func splitRequests(chunk: Int) {
        #expect(SessionHarness().text(Self.script, chunk: chunk) == Self.expected)
    }

    @Test("noreply silences every reply of its command, errors included")
    func noreply() {
        let harness = SessionHarness()
        let replies = harness.text("set k 0 0 1 noreply\r\nv\r\nset k 0 0 1 noreply\r\nabc\r\nincr k x noreply\r\n"
            + "incr k 1 noreply\r\ndelete k 5 noreply\r\nflush_all x noreply\r\ntouch k 1 noreply\r\nverbosity noreply\r\nget k\r\n")
        // "abc" is a bad data chunk (silenced); its "\r\n" leftover is an empty command line: ERROR.
        #expect(replies == "ERROR\r\nVALUE k 0 1\r\nv\r\nEND\r\n")
    }

    @Test("a value over the limit is refused at once and its bytes discarded as they arrive, holding no memory")
    func tooLargeIsSwallowed() {
        let harness = SessionHarness()
        _ = harness.text("set k 0 0 1\r\nv\r\n")
        let announced = 5_000_000
        #expect(harness.text("set k 0 0 \(announced)\r\n") == "SERVER_ERROR object too large for cache\r\n")
        let piece = [UInt8](repeating: 0x61, count: 64 * 1024)
        var sent = 0
        while sent + piece.count < announced {
            #expect(harness.feed(piece).isEmpty)
            #expect(harness.input.count == 0)
            sent += piece.count
        }
        let rest = [UInt8](repeating: 0x61, count: announced - sent) + Array("\r\nget k\r\n".utf8)
        // memcached removes the key's old item when a set is refused.
        #expect(String(decoding: harness.feed(rest), as: UTF8.self) == "END\r\n")
    }

    @Test("pipelined gets of a big value stop at the output pause and continue as replies are sent")
    func outputPause() {
        let harness = SessionHarness()
        _ = harness.text("set big 0 0 900000\r\n" + String(repeating: "b", count: 900_000) + "\r\n")
        let requests = Array(String(repeating: "get big\r\n", count: 50).utf8)
        requests.withUnsafeBytes { harness.input.append($0) }
        var values = 0
        var rounds = 0
        while !harness.input.isEmpty {
            harness.session.process(harness.input)
            #expect(harness.session.output.count <= ProtocolSession.outputPause + 900_100)
            values += String(decoding: harness.session.output.readable, as: UTF8.self).components(separatedBy: "VALUE big 0 900000").count - 1
            harness.session.output.removeAll()
            rounds += 1
        }
        #expect(values == 50)
        #expect(rounds > 10)
    }

    @Test("a line without newline beyond 2048 bytes closes the connection unless it is a get")
    func longLines() {
        let closing = SessionHarness()
        _ = closing.text(String(repeating: "x", count: 3000))
        #expect(closing.session.wantsClose)
        let get = SessionHarness()
        _ = get.text("get " + String(repeating: "k ", count: 2000))
        #expect(!get.session.wantsClose)
        #expect(get.text("\r\n") == "END\r\n")
    }

    @Test("keys over 250 bytes are refused; a multi-get with one drops its other values")
    func keyLength() {
        let harness = SessionHarness()
        let long = String(repeating: "k", count: 251)
        let ok = String(repeating: "k", count: 250)
        #expect(harness.text("set \(ok) 0 0 1\r\nv\r\nget \(ok)\r\n") == "STORED\r\nVALUE \(ok) 0 1\r\nv\r\nEND\r\n")
        #expect(harness.text("get \(ok) \(long)\r\n") == "CLIENT_ERROR bad command line format\r\n")
        #expect(harness.text("set \(long) 0 0 1\r\nv\r\n") == "CLIENT_ERROR bad command line format\r\nERROR\r\n")
    }

    @Test("quit closes after the replies before it; stats ends with END and counts")
    func quitAndStats() {
        let harness = SessionHarness()
        let stats = harness.text("set a 0 0 1\r\n1\r\nget a\r\nget b\r\nstats\r\n")
        #expect(stats.contains("STAT get_hits 1\r\n"))
        #expect(stats.contains("STAT get_misses 1\r\n"))
        #expect(stats.contains("STAT curr_items 1\r\n"))
        #expect(stats.hasSuffix("END\r\n"))
        #expect(harness.text("version\r\nquit\r\nversion\r\n") == "VERSION \(CacheServer.version)\r\n")
        #expect(harness.session.wantsClose)
    }
}
