import Testing

/// The differential test's driver: a seeded random mix of every text command — good, bad,
/// noreply, big values, expiry times of every kind — sent to a reference server (memcached) and a
/// candidate (FlexKVS) over two connections; each request is followed by a sync request
/// (`set`/`get` of a key the mix never uses) and the replies up to the sync's are compared.
///
/// Compared byte for byte except these documented differences, compared by meaning: CAS uniques
/// (each server numbers its own; masked in VALUE lines, and `cas` commands use the unique each
/// server reported), the `version` string (both start "VERSION "), and `stats` (both well-formed
/// STAT lines ending in END; every field FlexKVS reports, but its own `segment_compactions`, is one
/// memcached reports).
struct DifferentialMix {
    private var random: SplitMix64
    private let keys = ["alpha", "beta", "gamma", "delta", "n1", "n2", String(repeating: "k", count: 250), "tab\tand\u{01}control"]
    private static let sync = Array("set __sync__ 0 0 4\r\nSYNC\r\nget __sync__\r\n".utf8)
    private static let syncReply = Array("STORED\r\nVALUE __sync__ 0 4\r\nSYNC\r\nEND\r\n".utf8)

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    /// One request of the mix, for both servers (a `cas` differs per server by its unique).
    private enum Request {
        case same([UInt8])
        case compareAndSwap(key: String, rest: String, value: String, stale: Bool, noreply: String)
        case quit
    }

    mutating func run(steps: Int, reference: UInt16, candidate: UInt16) throws {
        var servers = [try RawClient(port: reference), try RawClient(port: candidate)]
        for step in 0..<steps {
            let request = nextRequest()
            switch request {
            case .same(let bytes):
                let replies = try servers.enumerated().map { index, server in
                    do { return try exchange(bytes, on: server) } catch { throw RawClient.Failure(description: "step \(step), server \(index): \(error)") }
                }
                compare(replies, request: bytes, step: step)
            case .compareAndSwap(let key, let rest, let value, let stale, let noreply):
                let gets = Array("gets \(key)\r\n".utf8)
                let observed = try servers.map { try exchange(gets, on: $0) }
                compare(observed, request: gets, step: step)
                let replies = try servers.indices.map { index in
                    let unique = Self.casUnique(in: observed[index]).map { stale ? $0 &+ 1000 : $0 } ?? 424_242
                    return try exchange(Array("cas \(key) \(rest) \(unique)\(noreply)\r\n\(value)\r\n".utf8), on: servers[index])
                }
                compare(replies, request: Array("cas \(key) \(rest) <unique>".utf8), step: step)
            case .quit:
                for server in servers { try server.send(Array("quit\r\n".utf8)) }
                let replies = try servers.map { try $0.readToEnd() }
                #expect(replies[0] == replies[1], "step \(step): quit")
                servers = [try RawClient(port: reference), try RawClient(port: candidate)]
            }
        }
    }

    private func exchange(_ request: [UInt8], on server: RawClient) throws -> [UInt8] {
        do {
            try server.send(request + Self.sync)
            return try server.read(until: Self.syncReply)
        } catch {
            throw RawClient.Failure(description: "\(error) after \(String(decoding: request.prefix(120), as: UTF8.self).debugDescription)")
        }
    }

    private func compare(_ replies: [[UInt8]], request: [UInt8], step: Int) {
        let text = replies.map { String(decoding: $0, as: UTF8.self) }
        let shown = String(decoding: request.prefix(120), as: UTF8.self)
        if text[0].hasPrefix("VERSION ") {
            #expect(text[1].hasPrefix("VERSION "), "step \(step): \(shown)")
        } else if text[0].hasPrefix("STAT ") {
            let names = text.map { reply in Set(reply.split(separator: "\r\n").compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) }) }
            #expect(text[1].hasPrefix("STAT ") && text[1].hasSuffix("END\r\n"), "step \(step): \(shown)")
            #expect(names[1].subtracting(names[0]) == ["segment_compactions"], "step \(step): stats fields")
        } else {
            let masked = text.map(Self.maskingCAS)
            #expect(masked[0] == masked[1], "step \(step): \(shown.debugDescription)\nmemcached: \(masked[0].prefix(300).debugDescription)\nflexkvs:   \(masked[1].prefix(300).debugDescription)")
        }
    }

    /// The reply with the CAS field of every "VALUE key flags bytes cas" line replaced.
    private static func maskingCAS(_ reply: String) -> String {
        reply.split(separator: "\r\n", omittingEmptySubsequences: false).map { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 5, fields[0] == "VALUE" else { return String(line) }
            return fields.prefix(4).joined(separator: " ") + " <cas>"
        }.joined(separator: "\r\n")
    }

    /// The CAS unique of the first VALUE line of a gets reply.
    private static func casUnique(in reply: [UInt8]) -> UInt64? {
        let line = String(decoding: reply, as: UTF8.self).split(separator: "\r\n").first ?? ""
        let fields = line.split(separator: " ")
        guard fields.count == 5, fields[0] == "VALUE" else { return nil }
        return UInt64(fields[4])
    }

    // MARK: The mix

    private mutating func nextRequest() -> Request {
        let key = pick(keys)
        let noreply = chance(0.15) ? " noreply" : ""
        switch random.next() % 100 {
        case 0..<25:
            let command = pick(["set", "set", "add", "replace", "append", "prepend"])
            let value = nextValue()
            return .same(Array("\(command) \(key) \(nextFlags()) \(nextExptime()) \(value.utf8.count)\(noreply)\r\n\(value)\r\n".utf8))
        case 25..<31:
            let value = nextValue()
            return .compareAndSwap(key: key, rest: "\(nextFlags()) \(nextExptime()) \(value.utf8.count)", value: value,
                                   stale: chance(0.4), noreply: noreply)
        case 31..<48:
            let command = pick(["get", "get", "gets"])
            let count = 1 + Int(random.next() % 4)
            return .same(Array("\(command) \((0..<count).map { _ in pick(keys) }.joined(separator: " "))\r\n".utf8))
        case 48..<53:
            return .same(Array("\(pick(["gat", "gats"])) \(pick(["0", "1000", "-1", "x"])) \(key) \(pick(keys))\r\n".utf8))
        case 53..<57:
            return .same(Array("touch \(key) \(pick(["0", "1000", "-1", "x"]))\(noreply)\r\n".utf8))
        case 57..<70:
            let delta = pick(["0", "1", "5", "1000", "18446744073709551615", "x", "-1", "+2"])
            return .same(Array("\(pick(["incr", "decr"])) \(pick(["n1", "n2", key])) \(delta)\(noreply)\r\n".utf8))
        case 70..<77:
            return .same(Array("delete \(key)\(pick(["", "", " 0", " 5"]))\(noreply)\r\n".utf8))
        case 77..<79:
            return .same(Array("flush_all\(pick(["", " 0", " -1"]))\(noreply)\r\n".utf8))
        case 79..<81:
            return .same(Array("verbosity \(pick(["0", "1", "x"]))\(noreply)\r\n".utf8))
        case 81..<83:
            return .same(Array(pick(["version\r\n", "stats\r\n"]).utf8))
        case 83:
            return chance(0.5) ? .quit : .same(Array("set \(key) 0 0 1500000\(noreply)\r\n\(String(repeating: "B", count: 1_500_000))\r\n".utf8))
        default:
            return .same(Array(nextBadRequest(key: key, noreply: noreply).utf8))
        }
    }

    private mutating func nextBadRequest(key: String, noreply: String) -> String {
        let long = String(repeating: "q", count: 251)
        return pick([
            "bogus command\r\n", "\r\n", "GET \(key)\r\n", "set \(key) 0 0 3\(noreply)\r\nABCDEF\r\n", "set \(key) x 0 1\r\nA\r\n",
            "set \(key) 0 0 -1\r\n", "set \(key) -1 0 1\r\nA\r\n", "set \(key) 4294967296 0 1\r\nA\r\n", "get \(long)\r\n",
            "get \(key) \(long)\r\n", "set \(long) 0 0 1\(noreply)\r\nA\r\n", "incr \(key)\r\n", "touch \(key)\r\n", "gat x \(key)\r\n",
            "cas \(key) 0 0 1\r\nA\r\n", "cas \(key) 0 0 1 x\r\nA\r\n", "delete\r\n", "set \(key) 0 0\r\n", "decr \(long) 1\r\n",
            "set \(key) 0 0 2 extra\r\nAB\r\n", "get\r\n", "gat 10\r\n",
        ])
    }

    private mutating func nextValue() -> String {
        switch random.next() % 10 {
        case 0: return pick(["0", "7", "123", "18446744073709551615", " 12", "12 ", "+12", "99999999999999999999999", "-5", ""])
        case 1: return String(repeating: "V", count: 1 + Int(random.next() % 100_000))
        default:
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
            return String(decoding: (0..<Int(random.next() % 24)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }, as: UTF8.self)
        }
    }

    private mutating func nextFlags() -> String {
        chance(0.8) ? "\(random.next() % 100)" : pick(["4294967295", "0", "65536", "+3"])
    }

    private mutating func nextExptime() -> String {
        pick(["0", "0", "0", "1000", "-1", "1000000000", "\(Int(time(nil)) + 5000)", "2592000"])
    }

    private mutating func chance(_ probability: Double) -> Bool { Double(random.next() % 1_000_000) < probability * 1_000_000 }

    private mutating func pick<Element>(_ choices: [Element]) -> Element { choices[Int(random.next() % UInt64(choices.count))] }
}

/// SplitMix64: a tiny seeded generator, so the mix is the same on every run.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

#if canImport(Glibc)
import Glibc
#endif
