import CFlexShim

/// CRC32C (Castagnoli): reflected polynomial 0x82F63B78, initial value 0xFFFFFFFF, final XOR 0xFFFFFFFF.
/// The checksum of iSCSI (RFC 3720), SCTP (RFC 4960) and the NVMe/TCP header and data digests.
///
/// Contract: a checksum is `finish(update(…update(initialState, part₁)…, partₙ))`; splitting the input into
/// any parts, of any lengths, gives the same result as one update over all of it. States are plain values,
/// so any number of computations may run at once on any threads. Every `Implementation` gives identical
/// results; `.automatic` uses the SSE4.2 `crc32` and PCLMULQDQ instructions when the CPU has them
/// (`isHardwareAccelerated`) and the portable table code otherwise. The checksum is returned as an
/// integer; iSCSI and NVMe/TCP put it on the wire in little-endian byte order.
public enum CRC32C {
    /// Which code computes the CRC.
    public enum Implementation: Sendable {
        /// The fastest code this CPU supports.
        case automatic
        /// The portable slicing-by-8 table code, whatever the CPU (for tests and benchmarks).
        case software
    }

    /// The state before any byte has been added.
    public static let initialState: UInt32 = 0xFFFF_FFFF

    /// Whether `.automatic` runs on the SSE4.2 and PCLMULQDQ instructions on this CPU.
    public static var isHardwareAccelerated: Bool { flexshim_crc32c_hardware_available() != 0 }

    /// Adds `count` bytes at `pointer` (any alignment) to `state` and returns the new state.
    /// `count` must not be negative.
    @inlinable
    public static func update(_ state: UInt32, _ pointer: UnsafeRawPointer, count: Int, using implementation: Implementation = .automatic) -> UInt32 {
        precondition(count >= 0, "CRC32C.update: negative byte count")
        switch implementation {
        case .automatic: return flexshim_crc32c_update(state, pointer, count)
        case .software: return flexshim_crc32c_update_software(state, pointer, count)
        }
    }

    /// Adds the bytes of `buffer` to `state` and returns the new state.
    @inlinable
    public static func update(_ state: UInt32, _ buffer: UnsafeRawBufferPointer, using implementation: Implementation = .automatic) -> UInt32 {
        guard let base = buffer.baseAddress else { return state }
        return update(state, base, count: buffer.count, using: implementation)
    }

    /// The checksum for a final `state`.
    @inlinable
    public static func finish(_ state: UInt32) -> UInt32 { ~state }

    /// The checksum of `count` bytes at `pointer`.
    @inlinable
    public static func checksum(_ pointer: UnsafeRawPointer, count: Int, using implementation: Implementation = .automatic) -> UInt32 {
        finish(update(initialState, pointer, count: count, using: implementation))
    }

    /// The checksum of the bytes of `buffer`.
    @inlinable
    public static func checksum(_ buffer: UnsafeRawBufferPointer, using implementation: Implementation = .automatic) -> UInt32 {
        finish(update(initialState, buffer, using: implementation))
    }

    /// The checksum of a sequence of bytes such as `[UInt8]`; a sequence without contiguous storage is
    /// copied into an array first.
    @inlinable
    public static func checksum<Bytes: Sequence<UInt8>>(_ bytes: Bytes, using implementation: Implementation = .automatic) -> UInt32 {
        if let result = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0), using: implementation) }) {
            return result
        }
        return Array(bytes).withUnsafeBytes { checksum($0, using: implementation) }
    }
}
