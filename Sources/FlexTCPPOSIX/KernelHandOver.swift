import CFlexPOSIX
#if canImport(Glibc)
import Glibc
#endif

extension Engine {
    /// Makes a fresh FlexTCP socket a kernel socket, for a loopback address (127.0.0.0/8 is the
    /// kernel's, not on flextcpd's interface): a kernel TCP socket takes the place of the eventfd
    /// under every descriptor of the socket (dup2, keeping each descriptor's FD_CLOEXEC), with
    /// the blocking mode, the options set so far and the bind made so far (repeated on the kernel
    /// socket: its errno when the kernel refuses it, e.g. EADDRNOTAVAIL for the service's address);
    /// its epoll interests move into the kernel epolls. Returns `FLEXPOSIX_NOW_KERNEL` (the C half
    /// then makes libc's bind or connect), or a negated errno value.
    func handOverToKernel(_ socket: PosixSocket) -> Int {
        guard case .fresh = socket.phase else { return -Int(EINVAL) }
        let kernel = flexposix_real_socket(AF_INET, Int32(SOCK_STREAM.rawValue) | (socket.isNonBlocking ? socketNonBlock : 0), 0)
        guard kernel >= 0 else { return -Int(errno) }
        defer { _ = flexposix_real_close(kernel) }
        for (key, bytes) in socket.options {
            _ = bytes.withUnsafeBytes { flexposix_real_setsockopt(kernel, Int32(key >> 32), Int32(truncatingIfNeeded: key), $0.baseAddress, socklen_t($0.count)) }
        }
        if socket.isBound && flexposix_real_bind_inet(kernel, socket.boundAddress, socket.boundPort) < 0 { return -Int(errno) }
        for descriptor in socket.descriptors {
            let flags = flexposix_real_fcntl(descriptor, F_GETFD, 0)
            guard flexposix_real_dup2(kernel, descriptor) >= 0 else { return -Int(errno) }
            if flags >= 0 { _ = flexposix_real_fcntl(descriptor, F_SETFD, flags) }
            sockets[descriptor] = nil
            flexposix_set_kind(descriptor, Int32(FLEXPOSIX_KERNEL.rawValue))
        }
        for membership in socket.memberships {
            guard let interest = membership.set.interests.removeValue(forKey: membership.descriptor) else { continue }
            _ = flexposix_real_epoll_ctl(membership.set.descriptor, EventBits.add, membership.descriptor, interest.events, interest.data)
        }
        socket.descriptors.removeAll()
        socket.memberships.removeAll()
        for watcher in socket.watchers { flexposix_eventfd_signal(watcher) }
        return Int(FLEXPOSIX_NOW_KERNEL)
    }
}
