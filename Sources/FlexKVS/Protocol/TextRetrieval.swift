/// Text retrieval commands: get, gets, gat, gats.
extension ProtocolSession {
    /// Answers `VALUE key flags bytes [cas]` + data for each key found from token `first` on, then
    /// `END`. A key over 250 bytes drops the whole reply for `CLIENT_ERROR bad command line format`.
    func retrieve(_ line: UnsafeRawBufferPointer, keysFrom first: Int, withCAS: Bool, newExpiry: UInt32?) {
        let replyStart = output.count
        for index in first..<tokens.count {
            let key = token(index, of: line)
            guard Self.isValidKey(key) else {
                output.truncate(toCount: replyStart)
                output.append("CLIENT_ERROR bad command line format\r\n")
                return
            }
            _ = store.read(key, hash: keyHash(key), newExpiry: newExpiry) { item in
                output.append("VALUE ")
                output.append(item.key)
                output.append(" ")
                output.append(decimal: UInt64(item.flags))
                output.append(" ")
                output.append(decimal: UInt64(item.value.count))
                if withCAS {
                    output.append(" ")
                    output.append(decimal: item.cas)
                }
                output.append("\r\n")
                output.append(item.value)
                output.append("\r\n")
            }
        }
        output.append("END\r\n")
    }

    /// gat/gats exptime key...: `retrieve` with a new expiry for each item found.
    func getAndTouch(_ line: UnsafeRawBufferPointer, withCAS: Bool) {
        guard let exptime = NumberParsing.signed32(token(1, of: line)) else {
            output.append("CLIENT_ERROR invalid exptime argument\r\n")
            return
        }
        retrieve(line, keysFrom: 2, withCAS: withCAS, newExpiry: store.clock.expiry(fromProtocol: Int64(exptime)))
    }
}
