@testable import FlexKVS

/// A protocol session on a fresh store, fed bytes the way a transport would.
struct SessionHarness {
    let server: CacheServer
    let session: ProtocolSession
    let input = ByteBuffer()

    init(configuration: StoreConfiguration = .init()) {
        server = CacheServer(store: KeyValueStore(configuration: configuration), settings: ServerSettings(tcpPort: 11211))
        session = ProtocolSession(server: server)
    }

    /// Feeds `bytes` in pieces of `chunk` bytes; returns everything answered, drained from the output.
    func feed(_ bytes: [UInt8], chunk: Int = .max) -> [UInt8] {
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + min(chunk, bytes.count - offset))
            bytes[offset..<end].withUnsafeBytes { input.append($0) }
            session.process(input)
            offset = end
        }
        let answered = Array(session.output.readable)
        session.output.removeAll()
        return answered
    }

    /// `feed` for text.
    func text(_ request: String, chunk: Int = .max) -> String {
        String(decoding: feed(Array(request.utf8), chunk: chunk), as: UTF8.self)
    }
}

/// A binary protocol request.
func binaryRequest(_ opcode: UInt8, key: [UInt8] = [], extras: [UInt8] = [], value: [UInt8] = [],
                   opaque: UInt32 = 0xA1B2_C3D4, cas: UInt64 = 0) -> [UInt8] {
    var bytes: [UInt8] = [0x80, opcode]
    bytes += bigEndianBytes(UInt16(key.count))
    bytes += [UInt8(extras.count), 0, 0, 0]
    bytes += bigEndianBytes(UInt32(extras.count + key.count + value.count))
    bytes += withUnsafeBytes(of: opaque) { Array($0) }
    bytes += bigEndianBytes(cas)
    return bytes + extras + key + value
}

func bigEndianBytes<Integer: FixedWidthInteger>(_ value: Integer) -> [UInt8] {
    withUnsafeBytes(of: value.bigEndian) { Array($0) }
}

/// A parsed binary response.
struct BinaryResponse: Equatable {
    let opcode: UInt8
    let status: UInt16
    let opaque: UInt32
    let cas: UInt64
    let extras: [UInt8]
    let key: [UInt8]
    let value: [UInt8]

    /// Every complete response in `bytes`.
    static func parseAll(_ bytes: [UInt8]) -> [BinaryResponse] {
        var responses: [BinaryResponse] = []
        var offset = 0
        while bytes.count - offset >= 24, bytes[offset] == 0x81 {
            func field<Integer: FixedWidthInteger>(_ at: Int, _ type: Integer.Type) -> Integer {
                bytes[(offset + at)...].withUnsafeBytes { Integer(bigEndian: $0.loadUnaligned(as: Integer.self)) }
            }
            let keyLength = Int(field(2, UInt16.self))
            let extrasLength = Int(bytes[offset + 4])
            let bodyLength = Int(field(8, UInt32.self))
            guard bytes.count - offset >= 24 + bodyLength else { break }
            let body = Array(bytes[(offset + 24)..<(offset + 24 + bodyLength)])
            responses.append(BinaryResponse(
                opcode: bytes[offset + 1], status: field(6, UInt16.self),
                opaque: bytes[(offset + 12)...].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) },
                cas: field(16, UInt64.self),
                extras: Array(body[0..<extrasLength]), key: Array(body[extrasLength..<(extrasLength + keyLength)]),
                value: Array(body[(extrasLength + keyLength)...])))
            offset += 24 + bodyLength
        }
        return responses
    }
}
