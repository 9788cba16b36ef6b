import CFlexPOSIX
import FlexTCP
import FlexWire
#if canImport(Glibc)
import Glibc
#endif

// getsockopt/setsockopt and getsockname/getpeername on FlexTCP descriptors. Every option is
// accepted and kept (getsockopt returns what was set); these have a meaning of their own:
// SO_ERROR (the pending error, cleared), SO_TYPE/SO_DOMAIN/SO_PROTOCOL/SO_ACCEPTCONN,
// SO_RCVTIMEO/SO_SNDTIMEO (honoured by blocking calls), SO_SNDBUF (the connection's send ring),
// TCP_MAXSEG (`segmentSize`), TCP_INFO (state only). Accepted without effect (README, "POSIX sockets"):
// TCP_NODELAY (FlexTCP sends at once anyway), SO_KEEPALIVE/TCP_KEEP* (no keep-alive probes),
// SO_LINGER (close is always graceful), SO_RCVBUF (rings are sized by flextcpd), SO_REUSEADDR/PORT.

private let levelSocket = Int32(SOL_SOCKET)
private let levelTCP = Int32(IPPROTO_TCP)

private func key(_ level: Int32, _ name: Int32) -> Int64 { Int64(level) << 32 | Int64(UInt32(bitPattern: name)) }

/// Nanoseconds of a struct timeval as a socket timeout, or nil for microseconds outside
/// 0..<1,000,000 (Linux: EDOM). As Linux: zero is no timeout (-1), negative seconds time out at
/// once (0); saturated at Int64.max.
private func nanoseconds(ofTimeval bytes: UnsafeRawPointer) -> Int64? {
    let value = bytes.loadUnaligned(as: timeval.self)
    guard value.tv_usec >= 0, value.tv_usec < 1_000_000 else { return nil }
    if value.tv_sec < 0 { return 0 }
    let (seconds, overflow) = Int64(value.tv_sec).multipliedReportingOverflow(by: 1_000_000_000)
    if overflow { return Int64.max }
    let total = seconds.addingReportingOverflow(Int64(value.tv_usec) * 1000)
    if total.overflow { return Int64.max }
    return total.partialValue > 0 ? total.partialValue : -1
}

/// How many bytes of an option's value setsockopt reads (and keeps): `needed` at least (fewer is
/// EINVAL, as Linux), at most `kept`. Linux's int options at SOL_SOCKET and IPPROTO_TCP read an int.
private func valueSize(_ level: Int32, _ name: Int32) -> (needed: Int, kept: Int) {
    let int = MemoryLayout<Int32>.size
    if level == levelSocket {
        switch name {
        case SO_RCVTIMEO, SO_SNDTIMEO: return (MemoryLayout<timeval>.size, MemoryLayout<timeval>.size)
        case SO_LINGER: return (MemoryLayout<linger>.size, MemoryLayout<linger>.size)
        case SO_BINDTODEVICE: return (0, 16)  // IFNAMSIZ
        default: return (int, int)
        }
    }
    if level == levelTCP {
        return name == TCP_CONGESTION ? (0, 16) : (int, int)
    }
    return (0, 64)
}

@_cdecl("flexposix_swift_setsockopt")
func flexposixSetsockopt(_ descriptor: Int32, _ level: Int32, _ name: Int32, _ value: UnsafeRawPointer?, _ length: socklen_t) -> Int32 {
    Int32(withSocket(descriptor) { _, socket in
        let size = valueSize(level, name)
        guard Int(length) >= size.needed else { return -Int(EINVAL) }
        let count = min(Int(length), size.kept)
        guard count > 0 else { return 0 }
        guard let value else { return -Int(EFAULT) }
        if level == levelTCP && name == TCP_MAXSEG {
            // As Linux: 0 (no bound) or 88 (TCP_MIN_MSS) ... 32767 (MAX_TCP_WINDOW).
            let bound = value.loadUnaligned(as: Int32.self)
            guard bound == 0 || (88...32767).contains(bound) else { return -Int(EINVAL) }
        }
        if level == levelSocket && (name == SO_RCVTIMEO || name == SO_SNDTIMEO) {
            guard let timeout = nanoseconds(ofTimeval: value) else { return -Int(EDOM) }
            if name == SO_RCVTIMEO { socket.receiveTimeout = timeout } else { socket.sendTimeout = timeout }
        }
        socket.options[key(level, name)] = Array(UnsafeRawBufferPointer(start: value, count: count))
        return 0
    })
}

@_cdecl("flexposix_swift_getsockopt")
func flexposixGetsockopt(_ descriptor: Int32, _ level: Int32, _ name: Int32, _ value: UnsafeMutableRawPointer?,
                         _ length: UnsafeMutablePointer<socklen_t>?) -> Int32 {
    Int32(withSocket(descriptor) { _, socket in
        guard let value, let length else { return -Int(EFAULT) }
        let bytes = optionBytes(socket, level, name)
        let count = min(Int(length.pointee), bytes.count)
        bytes.withUnsafeBytes { value.copyMemory(from: $0.baseAddress!, byteCount: count) }
        length.pointee = socklen_t(count)
        return 0
    })
}

/// What getsockopt reports for an option of `socket`.
private func optionBytes(_ socket: PosixSocket, _ level: Int32, _ name: Int32) -> [UInt8] {
    func int(_ value: Int) -> [UInt8] { withUnsafeBytes(of: Int32(clamping: value)) { Array($0) } }
    if level == levelSocket {
        switch name {
        case SO_ERROR: return int(Int(socket.takePendingError()))
        case SO_TYPE: return int(Int(SOCK_STREAM.rawValue))
        case SO_DOMAIN: return int(Int(AF_INET))
        case SO_PROTOCOL: return int(Int(IPPROTO_TCP))
        case SO_ACCEPTCONN:
            if case .listening = socket.phase { return int(1) }
            return int(0)
        case SO_SNDBUF:
            if let connection = socket.connection, connection.isOpen { return int(connection.sendSpace + connection.unacknowledgedByteCount) }
        default: break
        }
    } else if level == levelTCP {
        switch name {
        case TCP_MAXSEG: return int(segmentSize(socket))
        case TCP_INFO:
            // struct tcp_info: the state (first byte) only; Linux's values: ESTABLISHED 1, CLOSE 7, LISTEN 10.
            var info = [UInt8](repeating: 0, count: 232)
            switch socket.phase {
            case .connected(let connection) where connection.isOpen: info[0] = 1
            case .listening: info[0] = 10
            case .connecting: info[0] = 2
            default: info[0] = 7
            }
            return info
        default: break
        }
    }
    if let stored = socket.options[key(level, name)] { return stored }
    if level == levelSocket && (name == SO_RCVTIMEO || name == SO_SNDTIMEO) { return [UInt8](repeating: 0, count: MemoryLayout<timeval>.size) }
    if level == levelSocket && name == SO_LINGER { return [UInt8](repeating: 0, count: MemoryLayout<linger>.size) }
    if level == levelSocket && (name == SO_SNDBUF || name == SO_RCVBUF) { return int(65536) }
    return int(0)
}

/// TCP_MAXSEG as getsockopt reports it, as Linux: once a connection opened, the segment size it sends
/// with (the MSS in use, from its accepted/connected completion); before (fresh, listening or
/// connecting) the value set, else 536 (TCP_MSS_DEFAULT). The value set bounds nothing (flextcpd
/// takes no MSS from an application; README, "Options").
private func segmentSize(_ socket: PosixSocket) -> Int {
    if let connection = socket.connection, connection.segmentSize > 0 { return connection.segmentSize }
    let set = socket.options[key(levelTCP, TCP_MAXSEG)].map { bytes in bytes.withUnsafeBytes { Int($0.loadUnaligned(as: Int32.self)) } }
    return set.flatMap { $0 > 0 ? $0 : nil } ?? 536
}

@_cdecl("flexposix_swift_name")
func flexposixName(_ descriptor: Int32, _ peer: Int32, _ address: UnsafeMutablePointer<sockaddr>?,
                   _ length: UnsafeMutablePointer<socklen_t>?) -> Int32 {
    Int32(withSocket(descriptor) { engine, socket in
        guard address != nil, length != nil else { return -Int(EFAULT) }
        let connection = socket.connection
        if peer != 0 {
            guard case .connected(let open) = socket.phase else { return -Int(ENOTCONN) }
            store(address: open.remoteAddress, port: open.remotePort, into: address, length: length)
        } else if let connection, connection.localPort != 0 {
            store(address: engine.address, port: connection.localPort, into: address, length: length)
        } else {
            store(address: IPv4Address(socket.boundAddress), port: socket.boundPort, into: address, length: length)
        }
        return 0
    })
}
