/// Text commands without data blocks: incr/decr, delete, touch, flush_all, verbosity.
extension ProtocolSession {
    /// incr|decr key delta [noreply]: the new value, NOT_FOUND, or memcached's CLIENT_ERRORs.
    func arithmetic(_ line: UnsafeRawBufferPointer, increment: Bool) {
        takeNoreply(line)
        let key = token(1, of: line)
        guard Self.isValidKey(key) else { return reply("CLIENT_ERROR bad command line format\r\n") }
        guard let delta = NumberParsing.unsigned64(token(2, of: line)) else {
            return reply("CLIENT_ERROR invalid numeric delta argument\r\n")
        }
        switch store.arithmetic(key, hash: keyHash(key), increment: increment, delta: delta) {
        case .updated(let value, _):
            guard !noreply else { return }
            output.append(decimal: value)
            output.append("\r\n")
        case .notFound: reply("NOT_FOUND\r\n")
        case .nonNumeric: reply("CLIENT_ERROR cannot increment or decrement non-numeric value\r\n")
        case .exists: reply("EXISTS\r\n")
        case .outOfMemory: reply("SERVER_ERROR out of memory\r\n")
        }
    }

    /// delete key [0] [noreply]: DELETED or NOT_FOUND (any other hold time is refused, as in memcached 1.6).
    func delete(_ line: UnsafeRawBufferPointer) {
        if tokens.count > 2 {
            let holdIsZero = Self.equal(token(2, of: line), "0")
            takeNoreply(line)
            let valid = (tokens.count == 3 && (holdIsZero || noreply)) || (tokens.count == 4 && holdIsZero && noreply)
            guard valid else { return reply("CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n") }
        }
        let key = token(1, of: line)
        guard Self.isValidKey(key) else { return reply("CLIENT_ERROR bad command line format\r\n") }
        switch store.delete(key, hash: keyHash(key)) {
        case .deleted: reply("DELETED\r\n")
        case .notFound, .exists: reply("NOT_FOUND\r\n")
        }
    }

    /// touch key exptime [noreply]: TOUCHED or NOT_FOUND.
    func touch(_ line: UnsafeRawBufferPointer) {
        takeNoreply(line)
        let key = token(1, of: line)
        guard Self.isValidKey(key) else { return reply("CLIENT_ERROR bad command line format\r\n") }
        guard let exptime = NumberParsing.signed32(token(2, of: line)) else {
            return reply("CLIENT_ERROR invalid exptime argument\r\n")
        }
        let found = store.touch(key, hash: keyHash(key), expiry: store.clock.expiry(fromProtocol: Int64(exptime)))
        reply(found ? "TOUCHED\r\n" : "NOT_FOUND\r\n")
    }

    /// flush_all [delay] [noreply]: drops every item now or after `delay`.
    func flushAll(_ line: UnsafeRawBufferPointer) {
        takeNoreply(line)
        var exptime: Int32 = 0
        if tokens.count != (noreply ? 2 : 1) {
            guard let parsed = NumberParsing.signed32(token(1, of: line)) else {
                return reply("CLIENT_ERROR invalid exptime argument\r\n")
            }
            exptime = parsed
        }
        server.flushCommands.wrappingIncrement(ordering: .relaxed)
        store.flush(at: exptime > 0 ? store.clock.expiry(fromProtocol: Int64(exptime)) : 0)
        reply("OK\r\n")
    }

    /// verbosity level [noreply]: OK (the level is kept for `stats settings`; FlexKVS logs nothing per request).
    func verbosity(_ line: UnsafeRawBufferPointer) {
        takeNoreply(line)
        guard let level = NumberParsing.flags(token(1, of: line)) else {
            return reply("CLIENT_ERROR bad command line format\r\n")
        }
        server.verbosity.store(level, ordering: .relaxed)
        reply("OK\r\n")
    }
}
