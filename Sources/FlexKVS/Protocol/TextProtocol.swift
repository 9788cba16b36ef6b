#if canImport(Glibc)
import Glibc
#endif

/// memcached's text protocol: line framing, tokens, and dispatch on the command name with
/// memcached 1.6's token-count rules (a wrong count is `ERROR`, like an unknown command).
extension ProtocolSession {
    /// A line without "\n" longer than this closes the connection unless it is a get (memcached's rule).
    static let longestPendingLine = 2048
    /// A get line longer than this closes the connection (memcached has no bound; FlexKVS does).
    static let longestGetLine = 1 << 20

    /// Answers the text request at the front of `bytes`; returns the bytes it took (0: incomplete).
    func processText(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard let newline = memchr(bytes.baseAddress!, 0x0A, bytes.count) else {
            if bytes.count > Self.longestGetLine || (bytes.count > Self.longestPendingLine && !Self.startsWithGet(bytes)) {
                wantsClose = true
            }
            return 0
        }
        let lineEnd = UnsafeRawPointer(newline) - bytes.baseAddress!
        var length = lineEnd
        if length > 0 && bytes[length - 1] == 0x0D { length -= 1 }
        let line = UnsafeRawBufferPointer(rebasing: bytes[0..<length])
        tokenize(line)
        noreply = false
        let data = UnsafeRawBufferPointer(rebasing: bytes[(lineEnd + 1)...])
        guard let dataUsed = dispatch(line, data: data) else { return 0 }
        return lineEnd + 1 + dataUsed
    }

    /// Splits `line` at spaces (runs of spaces make no empty tokens).
    func tokenize(_ line: UnsafeRawBufferPointer) {
        tokens.removeAll(keepingCapacity: true)
        var start = 0
        for index in 0..<line.count where line[index] == 0x20 {
            if index > start { tokens.append(start..<index) }
            start = index + 1
        }
        if line.count > start { tokens.append(start..<line.count) }
    }

    /// Token `index` of `line`.
    func token(_ index: Int, of line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: line[tokens[index]])
    }

    /// Runs the command; returns the bytes of `data` it used, nil if its data has not all arrived.
    private func dispatch(_ line: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer) -> Int? {
        guard !tokens.isEmpty else {
            reply("ERROR\r\n")
            return 0
        }
        let name = token(0, of: line)
        let arguments = tokens.count - 1
        switch true {
        case Self.equal(name, "get") where arguments >= 1: retrieve(line, keysFrom: 1, withCAS: false, newExpiry: nil)
        case Self.equal(name, "gets") where arguments >= 1: retrieve(line, keysFrom: 1, withCAS: true, newExpiry: nil)
        case Self.equal(name, "gat") where arguments >= 1: getAndTouch(line, withCAS: false)
        case Self.equal(name, "gats") where arguments >= 1: getAndTouch(line, withCAS: true)
        case Self.equal(name, "set") where arguments == 4 || arguments == 5: return update(line, .set, data: data)
        case Self.equal(name, "add") where arguments == 4 || arguments == 5: return update(line, .add, data: data)
        case Self.equal(name, "replace") where arguments == 4 || arguments == 5: return update(line, .replace, data: data)
        case Self.equal(name, "append") where arguments == 4 || arguments == 5: return update(line, .append, data: data)
        case Self.equal(name, "prepend") where arguments == 4 || arguments == 5: return update(line, .prepend, data: data)
        case Self.equal(name, "cas") where arguments == 5 || arguments == 6: return update(line, .compareAndSwap(0), data: data)
        case Self.equal(name, "incr") where arguments == 2 || arguments == 3: arithmetic(line, increment: true)
        case Self.equal(name, "decr") where arguments == 2 || arguments == 3: arithmetic(line, increment: false)
        case Self.equal(name, "delete") where (1...3).contains(arguments): delete(line)
        case Self.equal(name, "touch") where arguments == 2 || arguments == 3: touch(line)
        case Self.equal(name, "flush_all") where (0...2).contains(arguments): flushAll(line)
        case Self.equal(name, "verbosity") where arguments == 1 || arguments == 2: verbosity(line)
        case Self.equal(name, "version"): reply(string: "VERSION \(CacheServer.version)\r\n")
        case Self.equal(name, "stats"): stats(line)
        case Self.equal(name, "quit"): wantsClose = true
        default: reply("ERROR\r\n")
        }
        return 0
    }

    /// memcached's set_noreply_maybe: the last token "noreply" silences the command's replies.
    func takeNoreply(_ line: UnsafeRawBufferPointer) {
        noreply = tokens.count > 1 && Self.equal(token(tokens.count - 1, of: line), "noreply")
    }

    /// Appends `text` unless the command said noreply.
    func reply(_ text: StaticString) {
        if !noreply { output.append(text) }
    }

    /// Appends `text` unless the command said noreply.
    func reply(string text: String) {
        if !noreply { output.append(string: text) }
    }

    /// True if `token` is `text`.
    static func equal(_ token: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        token.count == text.utf8CodeUnitCount && memcmp(token.baseAddress!, text.utf8Start, token.count) == 0
    }

    /// True if a valid key: 1...250 bytes (tokens hold no spaces; memcached checks only the length).
    static func isValidKey(_ key: UnsafeRawBufferPointer) -> Bool {
        key.count <= StoreConfiguration.maximumKeyLength
    }

    private static func startsWithGet(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        while index < bytes.count && bytes[index] == 0x20 { index += 1 }
        guard index <= 100 else { return false }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[index...])
        return (rest.count >= 4 && equal(UnsafeRawBufferPointer(rebasing: rest[0..<4]), "get "))
            || (rest.count >= 5 && equal(UnsafeRawBufferPointer(rebasing: rest[0..<5]), "gets "))
    }
}
