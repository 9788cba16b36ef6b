#if canImport(Glibc)
import Glibc
import CFlexShim

/// An AF_XDP socket set up the way `AFXDPPort` uses it: a UMEM of `receiveChunks + transmitChunks`
/// chunks (the first `receiveChunks` for receiving), the four rings mapped, bound in copy mode with
/// need-wakeup to one queue of one interface, and the redirect program attached to that interface.
///
/// Contract: `open` either returns a fully set-up socket or throws and leaves nothing open or
/// attached; `close()` detaches the program, unmaps and closes exactly once (the owner calls it).
struct XDPSocket {
    let interface: InterfaceFacts
    let umem: UnsafeMutableRawPointer
    let umemLength: Int
    let receiveChunks: Int
    let transmitChunks: Int
    let rings: UnsafeMutablePointer<flexshim_xdp_socket>
    private let redirect: UnsafeMutablePointer<flexshim_xdp_redirect>

    var descriptor: Int32 { rings.pointee.fd }

    /// One of the socket's rings, by its field in `flexshim_xdp_socket`.
    func ring(_ field: KeyPath<flexshim_xdp_socket, flexshim_xdp_ring>) -> UnsafeMutablePointer<flexshim_xdp_ring> {
        (UnsafeMutableRawPointer(rings) + MemoryLayout<flexshim_xdp_socket>.offset(of: field)!)
            .assumingMemoryBound(to: flexshim_xdp_ring.self)
    }

    static func open(interfaceName: String, configuration: AFXDPConfiguration) throws(KernelPortError) -> XDPSocket {
        try validate(configuration)
        // AF_XDP sockets answer no interface ioctls: the facts come through a datagram socket.
        let interface = try InterfaceFacts(name: interfaceName)
        let receiveChunks = ringSize(configuration.receiveFrameCount)
        let transmitChunks = ringSize(configuration.transmitFrameCount)
        let umemLength = (receiveChunks + transmitChunks) * configuration.chunkSize
        guard let umem = mmap(nil, umemLength, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0),
              umem != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw .failed("mmap(UMEM)", interface: interfaceName, code: errno)
        }
        let rings = UnsafeMutablePointer<flexshim_xdp_socket>.allocate(capacity: 1)
        let redirect = UnsafeMutablePointer<flexshim_xdp_redirect>.allocate(capacity: 1)
        var setup = flexshim_xdp_socket_setup(
            interface_index: interface.index, queue: configuration.queue, umem: umem, umem_length: UInt64(umemLength),
            chunk_size: UInt32(configuration.chunkSize), fill_size: UInt32(receiveChunks), completion_size: UInt32(transmitChunks),
            receive_size: UInt32(receiveChunks), transmit_size: UInt32(transmitChunks),
            bind_flags: UInt16(FLEXSHIM_XDP_COPY | FLEXSHIM_XDP_USE_NEED_WAKEUP))
        var failedStep: UnsafePointer<CChar>?
        var status = flexshim_xdp_socket_open(rings, &setup, &failedStep)
        if status == 0 {
            let flags = configuration.attachMode == .native ? UInt32(FLEXSHIM_XDP_FLAGS_DRV_MODE) : UInt32(FLEXSHIM_XDP_FLAGS_SKB_MODE)
            status = flexshim_xdp_redirect_attach(redirect, interface.index, configuration.queue, configuration.queue + 1,
                                                  rings.pointee.fd, flags, &failedStep)
            if status != 0 { flexshim_xdp_socket_close(rings) }
        }
        guard status == 0 else {
            munmap(umem, umemLength)
            rings.deallocate()
            redirect.deallocate()
            throw .failed(failedStep.map { String(cString: $0) } ?? "AF_XDP setup", interface: interfaceName, code: -status)
        }
        return XDPSocket(interface: interface, umem: umem, umemLength: umemLength, receiveChunks: receiveChunks,
                         transmitChunks: transmitChunks, rings: rings, redirect: redirect)
    }

    private static func validate(_ configuration: AFXDPConfiguration) throws(KernelPortError) {
        guard (1...65_536).contains(configuration.receiveFrameCount), (1...65_536).contains(configuration.transmitFrameCount) else {
            throw .invalidConfiguration("frame counts must be 1...65536")
        }
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard configuration.chunkSize >= 2_048, configuration.chunkSize <= pageSize,
              configuration.chunkSize & (configuration.chunkSize - 1) == 0 else {
            throw .invalidConfiguration("chunkSize must be a power of two from 2048 to \(pageSize)")
        }
        guard configuration.queue < 1_024 else { throw .invalidConfiguration("queue must be below 1024") }
        guard configuration.kickDeferralPolls >= 0 else { throw .invalidConfiguration("kickDeferralPolls must not be negative") }
    }

    /// The smallest power of two holding `count` entries (ring sizes must be powers of two).
    private static func ringSize(_ count: Int) -> Int { 1 << (Int.bitWidth - (max(count, 2) - 1).leadingZeroBitCount) }

    /// Frames the kernel dropped on receive (no receive-ring slot or fill-ring chunk, or invalid)
    /// and transmit descriptors it rejected, since the socket opened; zeros if unreadable.
    var kernelDrops: (receive: UInt64, transmit: UInt64) {
        var statistics = xdp_statistics()
        guard flexshim_xdp_socket_statistics(descriptor, &statistics) == 0 else { return (0, 0) }
        return (statistics.rx_dropped &+ statistics.rx_ring_full &+ statistics.rx_invalid_descs, statistics.tx_invalid_descs)
    }

    func close() {
        flexshim_xdp_redirect_detach(redirect)
        flexshim_xdp_socket_close(rings)
        munmap(umem, umemLength)
        rings.deallocate()
        redirect.deallocate()
    }
}
#endif
