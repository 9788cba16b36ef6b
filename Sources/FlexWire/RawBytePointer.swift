/// The pointer a wire view reads through. `UnsafeRawPointer` gives a read-only view;
/// `UnsafeMutableRawPointer` gives a view that also has setters (for building frames in place).
public protocol RawBytePointer {
    /// The same address, as a read-only pointer.
    var readOnly: UnsafeRawPointer { get }
    func advanced(by offset: Int) -> Self
}

extension UnsafeRawPointer: RawBytePointer {
    @inlinable public var readOnly: UnsafeRawPointer { self }
}

extension UnsafeMutableRawPointer: RawBytePointer {
    @inlinable public var readOnly: UnsafeRawPointer { UnsafeRawPointer(self) }
}

// Big-endian field access at fixed offsets (no alignment requirement).
extension UnsafeRawPointer {
    @inlinable
    func bigEndianUInt16(at offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inlinable
    func bigEndianUInt32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inlinable
    func byte(at offset: Int) -> UInt8 {
        load(fromByteOffset: offset, as: UInt8.self)
    }
}

extension UnsafeMutableRawPointer {
    @inlinable
    func storeBigEndian(_ value: UInt16, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
    }

    @inlinable
    func storeBigEndian(_ value: UInt32, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }

    @inlinable
    func storeByte(_ value: UInt8, at offset: Int) {
        storeBytes(of: value, toByteOffset: offset, as: UInt8.self)
    }
}

extension UnsafeMutableRawBufferPointer {
    /// The start address when the buffer holds at least `count` bytes; throws `.bufferTooSmall` otherwise.
    @inlinable
    func start(requiring count: Int) throws(WireError) -> UnsafeMutableRawPointer {
        guard self.count >= count, let base = baseAddress else { throw .bufferTooSmall }
        return base
    }
}

/// A checked view whose payload follows its header: `payload` (read) and `mutablePayload` (for
/// views over mutable bytes) cover exactly `payloadLength` bytes from `payloadBase`.
public protocol WireView {
    associatedtype Pointer: RawBytePointer
    var payloadBase: Pointer { get }
    var payloadLength: Int { get }
}

extension WireView {
    @inlinable public var payload: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: payloadBase.readOnly, count: payloadLength)
    }
}

extension WireView where Pointer == UnsafeMutableRawPointer {
    @inlinable public var mutablePayload: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: payloadBase, count: payloadLength)
    }
}
