/// How a store request treats an existing item (memcached's set, add, replace, append, prepend, cas).
public enum StoreMode: Sendable, Equatable {
    /// Store unconditionally.
    case set
    /// Store only if the key has no item.
    case add
    /// Store only if the key has an item.
    case replace
    /// Add the bytes after the existing value (flags and expiry stay).
    case append
    /// Add the bytes before the existing value (flags and expiry stay).
    case prepend
    /// Store only if the key's item has this CAS unique.
    case compareAndSwap(UInt64)
}

/// What a store request did.
public enum StoreOutcome: Sendable, Equatable {
    /// Stored; the item's new CAS unique.
    case stored(cas: UInt64)
    /// The mode's condition failed (add of an existing key, replace/append/prepend of a missing one).
    case notStored
    /// The item's CAS unique differs from the expected one.
    case exists
    /// Compare-and-swap (or a CAS-conditioned request) on a missing key.
    case notFound
    /// Beyond the configured item size.
    case tooLarge
    /// No memory could be freed for the item.
    case outOfMemory
}

/// What an increment or decrement did.
public enum ArithmeticOutcome: Sendable, Equatable {
    /// The new value and the item's new CAS unique.
    case updated(value: UInt64, cas: UInt64)
    /// No item under the key.
    case notFound
    /// The item's value is not a decimal 64-bit number.
    case nonNumeric
    /// The expected CAS unique differs (binary protocol).
    case exists
    /// The longer value found no memory.
    case outOfMemory
}

/// A value to store, in up to two pieces (a request straight from a ring buffer may wrap).
public struct ValueBytes {
    public var leading: UnsafeRawBufferPointer
    public var trailing: UnsafeRawBufferPointer

    public init(_ leading: UnsafeRawBufferPointer, _ trailing: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) {
        self.leading = leading
        self.trailing = trailing
    }

    public var count: Int { leading.count + trailing.count }

    /// Copies the bytes to `destination`.
    func copy(to destination: UnsafeMutableRawPointer) {
        if let base = leading.baseAddress { destination.copyMemory(from: base, byteCount: leading.count) }
        if let base = trailing.baseAddress { (destination + leading.count).copyMemory(from: base, byteCount: trailing.count) }
    }
}

/// A stored item as a reader sees it, valid only inside the reading closure.
public struct ItemView {
    public let key: UnsafeRawBufferPointer
    public let value: UnsafeRawBufferPointer
    public let flags: UInt32
    public let cas: UInt64
}
