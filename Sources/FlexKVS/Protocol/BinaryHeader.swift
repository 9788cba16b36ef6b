/// The 24-byte header of memcached's binary protocol (all fields big-endian):
///
/// ```
/// 0 magic (0x80 request, 0x81 response)   1 opcode        2 key length (2)
/// 4 extras length   5 data type            6 vbucket (request) / status (response) (2)
/// 8 total body length (4)   12 opaque (4, echoed)   16 CAS (8)
/// ```
/// The body is extras, then key, then value.
struct BinaryHeader {
    static let size = 24
    static let requestMagic: UInt8 = 0x80
    static let responseMagic: UInt8 = 0x81

    let opcode: UInt8
    let keyLength: Int
    let extrasLength: Int
    let bodyLength: Int
    let opaque: UInt32
    let cas: UInt64

    /// The header at the start of `bytes` (at least `size` bytes).
    init(_ bytes: UnsafeRawBufferPointer) {
        opcode = bytes[1]
        keyLength = Int(UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        extrasLength = Int(bytes[4])
        bodyLength = Int(UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        opaque = bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self)
        cas = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
    }

    /// Bytes of value: the body beyond extras and key.
    var valueLength: Int { bodyLength - extrasLength - keyLength }
}

/// Binary protocol opcodes FlexKVS serves (memcached's numbering); others are "Unknown command".
enum BinaryOpcode: UInt8 {
    case get = 0x00, set = 0x01, add = 0x02, replace = 0x03, delete = 0x04, increment = 0x05, decrement = 0x06
    case quit = 0x07, flush = 0x08, getQ = 0x09, noop = 0x0A, version = 0x0B, getK = 0x0C, getKQ = 0x0D
    case append = 0x0E, prepend = 0x0F, stat = 0x10, setQ = 0x11, addQ = 0x12, replaceQ = 0x13, deleteQ = 0x14
    case incrementQ = 0x15, decrementQ = 0x16, quitQ = 0x17, flushQ = 0x18, appendQ = 0x19, prependQ = 0x1A
    case verbosity = 0x1B, touch = 0x1C, getAndTouch = 0x1D, getAndTouchQ = 0x1E, getAndTouchK = 0x23, getAndTouchKQ = 0x24

    /// True for the quiet variants (no reply on success; for gets, no reply on a miss).
    var isQuiet: Bool {
        switch self {
        case .getQ, .getKQ, .setQ, .addQ, .replaceQ, .deleteQ, .incrementQ, .decrementQ, .quitQ, .flushQ,
             .appendQ, .prependQ, .getAndTouchQ, .getAndTouchKQ: true
        default: false
        }
    }
}

/// Binary protocol response statuses and memcached's messages for them.
enum BinaryStatus: UInt16 {
    case success = 0x00
    case keyNotFound = 0x01
    case keyExists = 0x02
    case valueTooLarge = 0x03
    case invalidArguments = 0x04
    case itemNotStored = 0x05
    case nonNumeric = 0x06
    case unknownCommand = 0x81
    case outOfMemory = 0x82

    var message: StaticString {
        switch self {
        case .success: ""
        case .keyNotFound: "Not found"
        case .keyExists: "Data exists for key."
        case .valueTooLarge: "Too large."
        case .invalidArguments: "Invalid arguments"
        case .itemNotStored: "Not stored."
        case .nonNumeric: "Non-numeric server-side value for incr or decr"
        case .unknownCommand: "Unknown command"
        case .outOfMemory: "Out of memory"
        }
    }
}
