@testable import FlexKVS

/// Byte-array conveniences over `KeyValueStore` for the tests.
extension KeyValueStore {
    func set(_ key: String, _ value: [UInt8], flags: UInt32 = 0, expiry: UInt32 = 0, mode: StoreMode = .set,
             hash: UInt64? = nil, expectedCAS: UInt64 = 0) -> StoreOutcome {
        let keyBytes = Array(key.utf8)
        return keyBytes.withUnsafeBytes { keyBuffer in
            value.withUnsafeBytes { valueBuffer in
                store(mode, key: keyBuffer, hash: hash ?? KeyHash.hash(keyBuffer), flags: flags, expiry: expiry,
                      value: ValueBytes(valueBuffer), expectedCAS: expectedCAS)
            }
        }
    }

    func set(_ key: String, _ value: String, flags: UInt32 = 0, expiry: UInt32 = 0, mode: StoreMode = .set) -> StoreOutcome {
        set(key, Array(value.utf8), flags: flags, expiry: expiry, mode: mode)
    }

    /// The value, flags and CAS under `key`, or nil.
    func get(_ key: String, hash: UInt64? = nil, newExpiry: UInt32? = nil) -> (value: [UInt8], flags: UInt32, cas: UInt64)? {
        let keyBytes = Array(key.utf8)
        return keyBytes.withUnsafeBytes { keyBuffer in
            read(keyBuffer, hash: hash ?? KeyHash.hash(keyBuffer), newExpiry: newExpiry) { item in
                (Array(item.value), item.flags, item.cas)
            }
        }
    }

    func string(_ key: String) -> String? { get(key).map { String(decoding: $0.value, as: UTF8.self) } }

    func delete(_ key: String, hash: UInt64? = nil, expectedCAS: UInt64 = 0) -> DeleteOutcome {
        let keyBytes = Array(key.utf8)
        return keyBytes.withUnsafeBytes { delete($0, hash: hash ?? KeyHash.hash($0), expectedCAS: expectedCAS) }
    }

    func change(_ key: String, by delta: UInt64, increment: Bool = true, initial: (value: UInt64, expiry: UInt32)? = nil) -> ArithmeticOutcome {
        let keyBytes = Array(key.utf8)
        return keyBytes.withUnsafeBytes { arithmetic($0, hash: KeyHash.hash($0), increment: increment, delta: delta, initial: initial) }
    }

    func touch(_ key: String, expiry: UInt32) -> Bool {
        let keyBytes = Array(key.utf8)
        return keyBytes.withUnsafeBytes { touch($0, hash: KeyHash.hash($0), expiry: expiry) }
    }
}

/// A value of `length` bytes that encodes `key` and `version`, so a test can tell it intact.
func distinctValue(_ key: Int, version: Int = 0, length: Int) -> [UInt8] {
    let seed = UInt64(truncatingIfNeeded: key &* 1_000_003 &+ version &* 7919) &* 0x9E37_79B9_7F4A_7C15
    return [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
        let raw = UnsafeMutableRawBufferPointer(buffer)
        var offset = 0
        var word = seed
        while offset < length {
            word = word &* 6364136223846793005 &+ 1442695040888963407
            withUnsafeBytes(of: word) { bytes in
                let count = min(8, length - offset)
                raw.baseAddress!.advanced(by: offset).copyMemory(from: bytes.baseAddress!, byteCount: count)
            }
            offset += 8
        }
        initialized = length
    }
}
