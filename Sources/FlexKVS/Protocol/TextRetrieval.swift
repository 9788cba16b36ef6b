/// Text retrieval commands: get, gets, gat, gats.
extension ProtocolSession {
    /// A VALUE line's bytes besides the key, and the value's "\r\n": "VALUE ", three separators, up to
    /// 10 digits of flags and 20 each of length and CAS, two line ends.
    static let valueLineOverhead = 6 + 3 + 10 + 20 + 20 + 4
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
                output.write(maximumCount: item.key.count + item.value.count + Self.valueLineOverhead) { reply in
                    reply.put("VALUE ")
                    reply.put(item.key)
                    reply.put(" ")
                    reply.put(decimal: UInt64(item.flags))
                    reply.put(" ")
                    reply.put(decimal: UInt64(item.value.count))
                    if withCAS {
                        reply.put(" ")
                        reply.put(decimal: item.cas)
                    }
                    reply.put("\r\n")
                    reply.put(item.value)
                    reply.put("\r\n")
                }
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
