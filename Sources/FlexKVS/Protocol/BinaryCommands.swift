/// The binary protocol's commands, answered as memcached 1.6 answers them (quiet variants stay
/// silent on success, and quiet gets on a miss; errors are always answered).
extension ProtocolSession {
    func execute(_ request: BinaryRequest) {
        let header = request.header
        let quiet = request.opcode.isQuiet
        switch request.opcode {
        case .get, .getQ, .getK, .getKQ:
            retrieve(request, newExpiry: nil)
        case .getAndTouch, .getAndTouchQ, .getAndTouchK, .getAndTouchKQ:
            retrieve(request, newExpiry: store.clock.expiry(fromProtocol: Int64(request.extra(at: 0, as: UInt32.self))))
        case .touch:
            touch(request)
        case .set, .setQ, .add, .addQ, .replace, .replaceQ, .append, .appendQ, .prepend, .prependQ:
            update(request)
        case .delete, .deleteQ:
            switch store.delete(request.key, hash: keyHash(request.key), expectedCAS: header.cas) {
            case .deleted: if !quiet { respond(header, status: .success) }
            case .notFound: respond(header, status: .keyNotFound)
            case .exists: respond(header, status: .keyExists)
            }
        case .increment, .incrementQ, .decrement, .decrementQ:
            arithmetic(request)
        case .quit, .quitQ:
            if !quiet { respond(header, status: .success) }
            wantsClose = true
        case .flush, .flushQ:
            let exptime = request.extras.count == 4 ? request.extra(at: 0, as: UInt32.self) : 0
            server.flushCommands.wrappingIncrement(ordering: .relaxed)
            store.flush(at: exptime > 0 ? store.clock.expiry(fromProtocol: Int64(exptime)) : 0)
            if !quiet { respond(header, status: .success) }
        case .noop:
            respond(header, status: .success)
        case .version:
            let version = CacheServer.version
            respondHeader(header, status: .success, valueLength: version.utf8.count)
            output.append(string: version)
        case .verbosity:
            server.verbosity.store(request.extra(at: 0, as: UInt32.self), ordering: .relaxed)
            respond(header, status: .success)
        case .stat:
            stats(request)
        }
    }

    /// get/getq/getk/getkq and the get-and-touch family: flags, key for the K variants, value.
    private func retrieve(_ request: BinaryRequest, newExpiry: UInt32?) {
        let header = request.header
        let withKey = request.opcode == .getK || request.opcode == .getKQ
            || request.opcode == .getAndTouchK || request.opcode == .getAndTouchKQ
        let found = store.read(request.key, hash: keyHash(request.key), newExpiry: newExpiry) { item in
            respondHeader(header, status: .success, extrasLength: 4, keyLength: withKey ? item.key.count : 0,
                          valueLength: item.value.count, cas: item.cas)
            output.append(bigEndian: item.flags)
            if withKey { output.append(item.key) }
            output.append(item.value)
            return true
        } ?? false
        guard !found, !request.opcode.isQuiet else { return }
        if withKey {
            respondHeader(header, status: .keyNotFound, keyLength: request.key.count)
            output.append(request.key)
        } else {
            respond(header, status: .keyNotFound)
        }
    }

    /// touch: the item's flags as extras, no value.
    private func touch(_ request: BinaryRequest) {
        let expiry = store.clock.expiry(fromProtocol: Int64(request.extra(at: 0, as: UInt32.self)))
        let found = store.read(request.key, hash: keyHash(request.key), newExpiry: expiry) { item in
            respondHeader(request.header, status: .success, extrasLength: 4, cas: item.cas)
            output.append(bigEndian: item.flags)
            return true
        } ?? false
        if !found { respond(request.header, status: .keyNotFound) }
    }

    /// set/add/replace (extras: flags, exptime) and append/prepend; the header CAS conditions them.
    private func update(_ request: BinaryRequest) {
        let header = request.header
        let mode: StoreMode
        switch request.opcode {
        case .set, .setQ: mode = .set
        case .add, .addQ: mode = .add
        case .replace, .replaceQ: mode = .replace
        case .append, .appendQ: mode = .append
        default: mode = .prepend
        }
        let hasExtras = request.extras.count == 8
        let flags = hasExtras ? request.extra(at: 0, as: UInt32.self) : 0
        let expiry = hasExtras ? store.clock.expiry(fromProtocol: Int64(request.extra(at: 4, as: UInt32.self))) : 0
        let outcome = store.store(mode, key: request.key, hash: keyHash(request.key), flags: flags, expiry: expiry,
                                  value: ValueBytes(request.value), expectedCAS: header.cas)
        respond(to: outcome, of: mode, header, quiet: request.opcode.isQuiet)
    }

    /// The reply to a storage command's outcome (none for a quiet command that stored).
    func respond(to outcome: StoreOutcome, of mode: StoreMode, _ header: BinaryHeader, quiet: Bool) {
        switch outcome {
        case .stored(let cas):
            if !quiet { respond(header, status: .success, cas: cas) }
        case .notStored:
            switch mode {
            case .add: respond(header, status: .keyExists)
            case .replace: respond(header, status: .keyNotFound)
            default: respond(header, status: .itemNotStored)
            }
        case .exists: respond(header, status: .keyExists)
        case .notFound: respond(header, status: .keyNotFound)
        case .tooLarge: respond(header, status: .valueTooLarge)
        case .outOfMemory: respond(header, status: .outOfMemory)
        }
    }

    /// incr/decr (extras: delta, initial, exptime; exptime 0xffffffff: no initial): the new value.
    private func arithmetic(_ request: BinaryRequest) {
        let header = request.header
        let increment = request.opcode == .increment || request.opcode == .incrementQ
        let delta = request.extra(at: 0, as: UInt64.self)
        let initialValue = request.extra(at: 8, as: UInt64.self)
        let exptime = request.extra(at: 16, as: UInt32.self)
        let initial = exptime == 0xFFFF_FFFF ? nil : (value: initialValue, expiry: store.clock.expiry(fromProtocol: Int64(exptime)))
        let outcome = store.arithmetic(request.key, hash: keyHash(request.key), increment: increment, delta: delta,
                                       initial: initial, expectedCAS: header.cas)
        switch outcome {
        case .updated(let value, let cas):
            guard !request.opcode.isQuiet else { return }
            respondHeader(header, status: .success, valueLength: 8, cas: cas)
            output.append(bigEndian: value)
        case .notFound: respond(header, status: .keyNotFound)
        case .nonNumeric: respond(header, status: .nonNumeric)
        case .exists: respond(header, status: .keyExists)
        case .outOfMemory: respond(header, status: .outOfMemory)
        }
    }

    /// stat [settings|reset]: one response per statistic (key = name, value = value), then an empty one.
    private func stats(_ request: BinaryRequest) {
        let header = request.header
        let lines: [(String, String)]
        if request.key.isEmpty {
            lines = StatsReport.general(server)
        } else if Self.equal(request.key, "settings") {
            lines = StatsReport.settings(server)
        } else if Self.equal(request.key, "reset") {
            store.resetCounters()
            lines = []
        } else {
            return respond(header, status: .keyNotFound)
        }
        for (name, value) in lines {
            respondHeader(header, status: .success, keyLength: name.utf8.count, valueLength: value.utf8.count)
            output.append(string: name)
            output.append(string: value)
        }
        respondHeader(header, status: .success)
    }
}
