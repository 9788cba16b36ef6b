import CFlexShim
#if canImport(Glibc)
import Glibc
#endif

/// Why shared memory could not be set up.
package struct SharedMemoryError: Error, Equatable, CustomStringConvertible {
    /// What failed (memfd_create, mmap, …).
    package let operation: String
    /// The `errno` it failed with.
    package let code: Int32

    package init(operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }

    package var description: String { "\(operation) failed: \(String(cString: strerror(code)))" }
}

/// The service's side of the applications' memory: one address range of `layout.totalLength`
/// bytes, each application's slot in it mapped from a memfd of its own (so that the slot, and
/// only it, can be passed to that application), zero-filled.
///
/// Contract: used by the service's runtime thread. `renew(application:)` maps a new, zeroed
/// memfd over the slot (MAP_FIXED) and closes the old one, whose pages the kernel frees once no
/// process maps them any more (the application that held it has exited). On deinit every
/// descriptor is closed and the range unmapped; the runtime built on the range must be gone.
package final class ApplicationMemory {
    package let layout: ServiceLayout
    package let base: UnsafeMutableRawPointer
    private var descriptors: [Int32]
    /// Slots given new memory since start.
    package private(set) var renewals: UInt64 = 0

    package init(layout: ServiceLayout) throws(SharedMemoryError) {
        self.layout = layout
        guard let reserved = flexshim_reserve_address_space(layout.totalLength) else {
            throw SharedMemoryError(operation: "mmap (reserve \(layout.totalLength) bytes)", code: errno)
        }
        base = reserved
        descriptors = Array(repeating: -1, count: layout.applicationCount)
        for application in 0..<layout.applicationCount {
            do {
                descriptors[application] = try Self.mapSlot(at: base + layout.slotOffset(application), length: layout.slotLength)
            } catch {
                closeAll()
                throw error
            }
        }
    }

    deinit { closeAll() }

    /// The memfd behind `application`'s slot (to pass to the application; it stays the service's).
    package func descriptor(ofApplication application: Int) -> Int32 { descriptors[application] }

    /// Gives `application`'s slot new zero-filled memory, releasing the old (see the type's contract).
    package func renew(application: Int) throws(SharedMemoryError) {
        let fresh = try Self.mapSlot(at: base + layout.slotOffset(application), length: layout.slotLength)
        close(descriptors[application])
        descriptors[application] = fresh
        renewals &+= 1
    }

    /// Bytes of the range the service maps from the applications' memfds.
    package var mappedLength: Int { layout.totalLength }

    private static func mapSlot(at address: UnsafeMutableRawPointer, length: Int) throws(SharedMemoryError) -> Int32 {
        let descriptor = flexshim_memfd_create("flextcpd-application", length)
        guard descriptor >= 0 else { throw SharedMemoryError(operation: "memfd_create", code: errno) }
        guard flexshim_map_shared(address, descriptor, length) != nil else {
            let code = errno
            close(descriptor)
            throw SharedMemoryError(operation: "mmap (MAP_FIXED, \(length) bytes)", code: code)
        }
        return descriptor
    }

    private func closeAll() {
        for descriptor in descriptors where descriptor >= 0 { close(descriptor) }
        descriptors.removeAll()
        _ = flexshim_unmap(base, layout.totalLength)
    }
}

/// An application's mapping of its own slot (the memfd the service passed), unmapped and the
/// descriptor closed on deinit.
package final class MappedSlot: @unchecked Sendable {
    // Sendable: the fields never change; the bytes are shared under the queue and ring protocols.
    package let base: UnsafeMutableRawPointer
    package let length: Int
    private let descriptor: Int32

    /// Maps `length` bytes of `descriptor` (taking ownership of it).
    package init(descriptor: Int32, length: Int) throws(SharedMemoryError) {
        guard let mapped = flexshim_map_shared(nil, descriptor, length) else {
            let code = errno
            close(descriptor)
            throw SharedMemoryError(operation: "mmap (\(length) bytes of the service's memfd)", code: code)
        }
        base = mapped
        self.length = length
        self.descriptor = descriptor
    }

    deinit {
        _ = flexshim_unmap(base, length)
        close(descriptor)
    }
}
