/// How a `KeyValueStore` is sized.
///
/// Contract: `memoryLimit` bounds the item memory (memcached's `-m`): it is cut into segments of
/// `segmentSize` bytes, and when none is free the oldest are compacted or evicted. `maxItemSize`
/// is memcached's `-I`: a value is accepted while value + key + 59 bytes (memcached's item header,
/// CAS and terminators) fit in it. `partitions` (a power of two) split the key space, each with its
/// own lock, hash table and active segment.
public struct StoreConfiguration: Sendable {
    /// Bytes of item memory (memcached `-m`, 64 MiB by default).
    public var memoryLimit: Int
    /// The largest item, memcached's accounting (`-I`, 1 MiB by default).
    public var maxItemSize: Int
    /// Independently locked parts of the key space (rounded up to a power of two).
    public var partitions: Int

    public init(memoryLimit: Int = 64 << 20, maxItemSize: Int = 1 << 20, partitions: Int = 1) {
        self.memoryLimit = memoryLimit
        self.maxItemSize = maxItemSize
        self.partitions = partitions
    }

    /// Bytes memcached's accounting adds to a value and key (item header, CAS, key terminator, "\r\n").
    public static let memcachedItemOverhead = 59
    /// The longest key (memcached's KEY_MAX_LENGTH).
    public static let maximumKeyLength = 250

    /// The power-of-two partition count.
    var partitionCount: Int {
        var count = 1
        while count < max(1, partitions) { count <<= 1 }
        return count
    }

    /// Segment size: 1 MiB, or the smallest power of two that holds the largest item.
    var segmentSize: Int {
        var size = 1 << 20
        while size < maxItemSize + ItemHeader.size + Self.maximumKeyLength { size <<= 1 }
        return size
    }

    /// Segments under the limit; at least two per partition so one can fill while another is reclaimed.
    var segmentCount: Int { max(memoryLimit / segmentSize, 2 * partitionCount) }

    /// True if a value of `valueLength` bytes under a key of `keyLength` bytes is within `maxItemSize`.
    func accepts(valueLength: Int, keyLength: Int) -> Bool {
        valueLength <= maxItemSize - Self.memcachedItemOverhead - keyLength
    }
}
