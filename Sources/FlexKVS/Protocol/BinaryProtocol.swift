/// memcached's binary protocol: framing, memcached 1.6's checks of each command's header (a
/// malformed one gets "Invalid arguments" and the connection is closed, an unknown opcode gets
/// "Unknown command" and its body is skipped), and the response header.
extension ProtocolSession {
    /// Answers the binary request at the front of `bytes`; returns the bytes it took (0: incomplete).
    func processBinary(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard bytes.count >= BinaryHeader.size else { return 0 }
        guard bytes[0] == BinaryHeader.requestMagic else {
            wantsClose = true
            return 0
        }
        let header = BinaryHeader(bytes)
        guard let opcode = BinaryOpcode(rawValue: header.opcode) else {
            respond(header, status: .unknownCommand)
            swallowing = header.bodyLength
            return BinaryHeader.size
        }
        guard header.keyLength <= StoreConfiguration.maximumKeyLength,
              header.bodyLength >= header.keyLength + header.extrasLength,
              Self.hasValidShape(opcode, header) else {
            respond(header, status: .invalidArguments)
            wantsClose = true
            return BinaryHeader.size
        }
        if Self.isStorage(opcode) && !store.configuration.accepts(valueLength: header.valueLength, keyLength: header.keyLength) {
            return refuseTooLarge(opcode, header, bytes)
        }
        guard bytes.count >= BinaryHeader.size + header.bodyLength else { return 0 }
        let body = UnsafeRawBufferPointer(rebasing: bytes[BinaryHeader.size..<(BinaryHeader.size + header.bodyLength)])
        let request = BinaryRequest(
            header: header, opcode: opcode,
            extras: UnsafeRawBufferPointer(rebasing: body[0..<header.extrasLength]),
            key: UnsafeRawBufferPointer(rebasing: body[header.extrasLength..<(header.extrasLength + header.keyLength)]),
            value: UnsafeRawBufferPointer(rebasing: body[(header.extrasLength + header.keyLength)...]))
        execute(request)
        return BinaryHeader.size + header.bodyLength
    }

    /// "Too large." once extras and key are in (a set also drops the key's old item, as memcached
    /// does); the value is discarded as it arrives.
    private func refuseTooLarge(_ opcode: BinaryOpcode, _ header: BinaryHeader, _ bytes: UnsafeRawBufferPointer) -> Int {
        let keyEnd = BinaryHeader.size + header.extrasLength + header.keyLength
        guard bytes.count >= keyEnd else { return 0 }
        if opcode == .set || opcode == .setQ {
            let key = UnsafeRawBufferPointer(rebasing: bytes[(keyEnd - header.keyLength)..<keyEnd])
            _ = store.delete(key, hash: keyHash(key))
        }
        respond(header, status: .valueTooLarge)
        swallowing = header.valueLength
        return keyEnd
    }

    /// memcached's per-command checks of key, extras and body lengths.
    static func hasValidShape(_ opcode: BinaryOpcode, _ header: BinaryHeader) -> Bool {
        let key = header.keyLength, extras = header.extrasLength, body = header.bodyLength
        switch opcode {
        case .get, .getQ, .getK, .getKQ: return extras == 0 && body == key && key > 0
        case .set, .setQ, .add, .addQ, .replace, .replaceQ: return extras == 8 && key > 0 && body >= key + 8
        case .append, .appendQ, .prepend, .prependQ: return key > 0 && extras == 0
        case .delete, .deleteQ: return key > 0 && extras == 0 && body == key
        case .increment, .incrementQ, .decrement, .decrementQ: return key > 0 && extras == 20 && body == key + 20
        case .version, .noop, .quit, .quitQ: return extras == 0 && key == 0 && body == 0
        case .flush, .flushQ: return key == 0 && body == extras && (extras == 0 || extras == 4)
        case .stat: return extras == 0 && body == key
        case .verbosity: return extras == 4 && key == 0 && body == 4
        case .touch, .getAndTouch, .getAndTouchQ, .getAndTouchK, .getAndTouchKQ: return extras == 4 && key > 0 && body == key + 4
        }
    }

    static func isStorage(_ opcode: BinaryOpcode) -> Bool {
        switch opcode {
        case .set, .setQ, .add, .addQ, .replace, .replaceQ, .append, .appendQ, .prepend, .prependQ: true
        default: false
        }
    }

    /// Appends a response header for `request` (body lengths as given; the caller appends the body).
    func respondHeader(_ header: BinaryHeader, status: BinaryStatus, extrasLength: Int = 0, keyLength: Int = 0,
                       valueLength: Int = 0, cas: UInt64 = 0) {
        output.append(bigEndian: BinaryHeader.responseMagic)
        output.append(bigEndian: header.opcode)
        output.append(bigEndian: UInt16(keyLength))
        output.append(bigEndian: UInt8(extrasLength))
        output.append(bigEndian: UInt8(0))
        output.append(bigEndian: status.rawValue)
        output.append(bigEndian: UInt32(extrasLength + keyLength + valueLength))
        withUnsafeBytes(of: header.opaque) { output.append($0) }
        output.append(bigEndian: cas)
    }

    /// A response with no extras or key: success with `cas`, or an error with memcached's message.
    func respond(_ header: BinaryHeader, status: BinaryStatus, cas: UInt64 = 0) {
        let message = status.message
        respondHeader(header, status: status, valueLength: message.utf8CodeUnitCount, cas: cas)
        output.append(message)
    }
}

/// A complete binary request: its header and the body's three parts.
struct BinaryRequest {
    let header: BinaryHeader
    let opcode: BinaryOpcode
    let extras: UnsafeRawBufferPointer
    let key: UnsafeRawBufferPointer
    let value: UnsafeRawBufferPointer

    /// The big-endian integer at `offset` of the extras.
    func extra<Integer: FixedWidthInteger>(at offset: Int, as type: Integer.Type) -> Integer {
        Integer(bigEndian: extras.loadUnaligned(fromByteOffset: offset, as: Integer.self))
    }
}
