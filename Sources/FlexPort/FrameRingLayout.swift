/// The byte layout of a frame ring: a single-producer/single-consumer queue of fixed-size frame slots.
/// This enum *is* the ABI: both sides (threads in one process, or two processes sharing the memory)
/// read and write these fields through raw pointers at these offsets, never through Swift structs,
/// and nothing in the ring stores a pointer. All integers are little-endian (host order on x86-64
/// and arm64 Linux); every offset below is from the ring's base, which is 64-byte aligned.
///
/// ```
/// ring header (192 bytes, three cache lines)
///   line 0, geometry: written once before the ring is shared, then read-only
///     0   u32  magic               0x4752_5846 ("FXRG")
///     4   u32  version             1
///     8   u32  slot count          a power of two, 2 ... 2^20
///     12  u32  slot stride         bytes per slot, a multiple of 64, >= slot header + frame capacity,
///                                  at most the stride for the largest frame capacity
///     16  u32  frame capacity      largest frame in bytes (Ethernet header included), 1 ... 2^18
///     20  ...  reserved, zero
///   line 1, written by the producer only
///     64  u64  producer index      free-running count of published slots; store-release (seq-cst)
///     72  u64  transmitted frames  statistics, relaxed
///     80  u64  transmitted bytes
///     88  u64  transmit drops
///   line 2, written by the consumer only (except that the producer may clear `armed`)
///     128 u64  consumer index      free-running count of released slots; store-release
///     136 u64  armed               1: the consumer is about to sleep and wants a signal (seq-cst)
///     144 u64  received frames     statistics, relaxed
///     152 u64  received bytes
///     160 u64  receive drops       slots with an invalid length (skipped)
/// slots: slot i (i = index mod slot count) starts at 192 + i * slot stride
///     0   u32  frame length        1 ... frame capacity; anything else is a receive drop
///     4   u8   frame flags         FrameFlags raw value
///     5   u8   reserved
///     6   u16  segment size        Frame.segmentSize
///     8   ...  reserved
///     16  frame bytes (frame capacity)
/// ```
///
/// Protocol: the ring is empty when producer index == consumer index and full when they differ by
/// the slot count. The producer fills slots, then publishes them by storing the producer index with
/// release ordering; the consumer loads it with acquire ordering, reads the slots, and gives them back
/// by storing the consumer index with release ordering (the producer loads it with acquire ordering).
/// Blocking: a consumer that wants to sleep stores armed = 1, re-checks the producer index, and only
/// then waits on its wake-up signal; a producer, after publishing, exchanges armed with 0 and signals
/// only if it was 1. Both steps are sequentially consistent, so one of the two always sees the other.
public enum FrameRingLayout {
    public static let magic: UInt32 = 0x4752_5846
    public static let version: UInt32 = 1

    public static let magicOffset = 0
    public static let versionOffset = 4
    public static let slotCountOffset = 8
    public static let slotStrideOffset = 12
    public static let frameCapacityOffset = 16

    public static let producerIndexOffset = 64
    public static let transmittedFramesOffset = 72
    public static let transmittedBytesOffset = 80
    public static let transmitDropsOffset = 88

    public static let consumerIndexOffset = 128
    public static let armedOffset = 136
    public static let receivedFramesOffset = 144
    public static let receivedBytesOffset = 152
    public static let receiveDropsOffset = 160

    public static let headerSize = 192
    public static let maximumSlotCount = 1 << 20
    public static let maximumFrameCapacity = 1 << 18

    public static let slotLengthOffset = 0
    public static let slotFlagsOffset = 4
    public static let slotSegmentSizeOffset = 6
    public static let slotHeaderSize = 16

    /// The alignment of the ring base and of every slot.
    public static let alignment = 64

    /// Bytes per slot for frames of up to `frameCapacity` bytes.
    @inlinable
    public static func slotStride(frameCapacity: Int) -> Int {
        (slotHeaderSize + frameCapacity + alignment - 1) / alignment * alignment
    }

    /// Bytes a whole ring occupies (header and slots); a multiple of `alignment`.
    @inlinable
    public static func ringSize(slotCount: Int, frameCapacity: Int) -> Int {
        headerSize + slotCount * slotStride(frameCapacity: frameCapacity)
    }
}
