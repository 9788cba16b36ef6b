/// Text storage commands: set, add, replace, append, prepend, cas (`<name> key flags exptime
/// bytes [cas] [noreply]` followed by the data block and "\r\n").
extension ProtocolSession {
    /// Stores the data block following the line; returns the bytes of `data` used, nil until all arrived.
    /// A value over the size limit is answered at once and its bytes discarded as they arrive
    /// (`swallowing`), removing the key's old item for a set, as memcached does.
    func update(_ line: UnsafeRawBufferPointer, _ requested: StoreMode, data: UnsafeRawBufferPointer) -> Int? {
        takeNoreply(line)
        let key = token(1, of: line)
        guard Self.isValidKey(key) else {
            reply("CLIENT_ERROR bad command line format\r\n")
            return 0
        }
        guard let flags = NumberParsing.flags(token(2, of: line)),
              let exptime = NumberParsing.signed32(token(3, of: line)),
              let length = NumberParsing.signed32(token(4, of: line)) else {
            reply("CLIENT_ERROR bad command line format\r\n")
            return 0
        }
        var mode = requested
        if case .compareAndSwap = requested {
            guard let cas = NumberParsing.unsigned64(token(5, of: line)) else {
                reply("CLIENT_ERROR bad command line format\r\n")
                return 0
            }
            mode = .compareAndSwap(cas)
        }
        guard length >= 0, length <= Int32.max - 2 else {
            reply("CLIENT_ERROR bad command line format\r\n")
            return 0
        }
        let valueLength = Int(length)
        let hash = keyHash(key)
        guard store.configuration.accepts(valueLength: valueLength, keyLength: key.count) else {
            reply("SERVER_ERROR object too large for cache\r\n")
            if mode == .set { _ = store.delete(key, hash: hash) }
            swallowing = valueLength + 2
            return 0
        }
        guard data.count >= valueLength + 2 else { return nil }
        guard data[valueLength] == 0x0D, data[valueLength + 1] == 0x0A else {
            reply("CLIENT_ERROR bad data chunk\r\n")
            return valueLength + 2
        }
        let value = ValueBytes(UnsafeRawBufferPointer(rebasing: data[0..<valueLength]))
        let expiry = store.clock.expiry(fromProtocol: Int64(exptime))
        switch store.store(mode, key: key, hash: hash, flags: flags, expiry: expiry, value: value) {
        case .stored: reply("STORED\r\n")
        case .notStored: reply("NOT_STORED\r\n")
        case .exists: reply("EXISTS\r\n")
        case .notFound: reply("NOT_FOUND\r\n")
        case .tooLarge: reply("SERVER_ERROR object too large for cache\r\n")
        case .outOfMemory: reply("SERVER_ERROR out of memory storing object\r\n")
        }
        return valueLength + 2
    }
}
