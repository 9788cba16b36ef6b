/// The byte layout of an item in a segment (8-byte aligned), read and written at named offsets:
///
/// ```
/// 0   cas unique     UInt64
/// 8   key hash       UInt64   (compaction finds the item's bucket without rehashing)
/// 16  expiry         UInt32   (relative seconds, 0 = never)
/// 20  flags          UInt32   (the client's opaque flags)
/// 24  value length   UInt32
/// 28  key length     UInt8
/// 29  live           UInt8    (1 while the hash table points here)
/// 30  (padding)
/// 32  key bytes, then value bytes; the item occupies `storedSize` bytes
/// ```
struct ItemHeader {
    static let size = 32
    let base: UnsafeMutableRawPointer

    var cas: UInt64 {
        get { base.load(as: UInt64.self) }
        nonmutating set { base.storeBytes(of: newValue, as: UInt64.self) }
    }
    var hash: UInt64 {
        get { base.load(fromByteOffset: 8, as: UInt64.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 8, as: UInt64.self) }
    }
    var expiry: UInt32 {
        get { base.load(fromByteOffset: 16, as: UInt32.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 16, as: UInt32.self) }
    }
    var flags: UInt32 {
        get { base.load(fromByteOffset: 20, as: UInt32.self) }
        nonmutating set { base.storeBytes(of: newValue, toByteOffset: 20, as: UInt32.self) }
    }
    var valueLength: Int {
        get { Int(base.load(fromByteOffset: 24, as: UInt32.self)) }
        nonmutating set { base.storeBytes(of: UInt32(newValue), toByteOffset: 24, as: UInt32.self) }
    }
    var keyLength: Int {
        get { Int(base.load(fromByteOffset: 28, as: UInt8.self)) }
        nonmutating set { base.storeBytes(of: UInt8(newValue), toByteOffset: 28, as: UInt8.self) }
    }
    var isLive: Bool {
        get { base.load(fromByteOffset: 29, as: UInt8.self) != 0 }
        nonmutating set { base.storeBytes(of: newValue ? 1 : 0, toByteOffset: 29, as: UInt8.self) }
    }
    var key: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base + Self.size, count: keyLength) }
    var value: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: base + Self.size + keyLength, count: valueLength)
    }
    /// Bytes the item takes in its segment.
    var storedSize: Int { Self.storedSize(keyLength: keyLength, valueLength: valueLength) }

    /// Bytes an item with these lengths takes in a segment (header, key, value, rounded up to 8).
    static func storedSize(keyLength: Int, valueLength: Int) -> Int {
        (size + keyLength + valueLength + 7) & ~7
    }

    /// True if the item has expired at `now` (relative seconds).
    func hasExpired(at now: UInt32) -> Bool { expiry != 0 && expiry <= now }

    /// True if the item's key is `key`.
    func matches(_ key: UnsafeRawBufferPointer) -> Bool {
        keyLength == key.count && (key.count == 0 || memcmp(base + Self.size, key.baseAddress!, key.count) == 0)
    }
}

#if canImport(Glibc)
import Glibc
#endif
