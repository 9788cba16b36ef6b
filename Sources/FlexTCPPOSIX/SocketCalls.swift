import CFlexPOSIX
import FlexTCP
import FlexWire
#if canImport(Glibc)
import Glibc
#endif

// The socket calls on FlexTCP descriptors (the C half routes them here). Each returns 0 or a
// count, or a negated errno value. Differences from Linux (README, "POSIX sockets"): a port
// taken by another listener fails listen(), not bind(); a connect ignores a bound local port;
// only the service's address (or any) can be bound; loopback addresses make the socket a kernel socket.

let socketNonBlock: Int32 = 0o4000
let socketCloseOnExec: Int32 = 0o2000000

/// Runs `body` on the socket of `descriptor` under the lock, the context polled first; raises
/// SIGPIPE afterwards when the call owes one.
func withSocket(_ descriptor: Int32, _ body: (Engine, PosixSocket) -> Int) -> Int {
    flexposix_lock()
    let engine = Engine.current
    var result = -Int(EBADF)
    if let socket = engine.sockets[descriptor] {
        engine.pollContext()
        result = body(engine, socket)
    }
    let owesSigpipe = engine.owesSigpipe
    engine.owesSigpipe = false
    flexposix_unlock()
    if owesSigpipe { flexposix_raise_sigpipe() }
    return result
}

@_cdecl("flexposix_swift_socket")
func flexposixSocket(_ type: Int32) -> Int32 {
    flexposix_lock()
    defer { flexposix_unlock() }
    let engine = Engine.current
    let attached = engine.attach()
    guard attached == 0 else { return attached }
    let descriptor = flexposix_eventfd(type & socketCloseOnExec != 0 ? 1 : 0)
    guard descriptor >= 0 else { return -errno }
    engine.add(PosixSocket(nonBlocking: type & socketNonBlock != 0), descriptor: descriptor)
    return descriptor
}

/// The IPv4 address (host order) and port of a sockaddr_in, or the errno value that refuses it.
private func parse(_ address: UnsafePointer<sockaddr>?, _ length: socklen_t) -> (host: UInt32, port: UInt16, error: Int32) {
    guard let address else { return (0, 0, EFAULT) }
    guard Int(length) >= MemoryLayout<sockaddr_in>.size else { return (0, 0, EINVAL) }
    return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { inet in
        let family = Int32(inet.pointee.sin_family)
        guard family == AF_INET || family == AF_UNSPEC else { return (0, 0, EAFNOSUPPORT) }
        return (UInt32(bigEndian: inet.pointee.sin_addr.s_addr), UInt16(bigEndian: inet.pointee.sin_port), 0)
    }
}

@_cdecl("flexposix_swift_bind")
func flexposixBind(_ descriptor: Int32, _ address: UnsafePointer<sockaddr>?, _ length: socklen_t) -> Int32 {
    Int32(withSocket(descriptor) { engine, socket in
        let (host, port, error) = parse(address, length)
        guard error == 0 else { return -Int(error) }
        guard case .fresh = socket.phase, !socket.isBound else { return -Int(EINVAL) }
        if host >> 24 == 127 { return engine.handOverToKernel(socket) }
        guard host == 0 || host == engine.address.value else { return -Int(EADDRNOTAVAIL) }
        socket.boundAddress = host
        socket.boundPort = port
        socket.isBound = true
        return 0
    })
}

@_cdecl("flexposix_swift_listen")
func flexposixListen(_ descriptor: Int32, _ backlog: Int32) -> Int32 {
    Int32(withSocket(descriptor) { engine, socket in
        // As Linux: beyond somaxconn (4096), and a negative backlog (unsigned there), is somaxconn.
        let asked = backlog < 0 ? 4096 : min(Int(backlog), 4096)
        // The service keeps at least 1; with 0 the library asks for no connection ahead (`asksAhead`).
        let backlog = max(1, asked)
        switch socket.phase {
        case .listening:
            return 0  // the service keeps the backlog the listener opened with
        case .fresh:
            break
        default:
            return -Int(EINVAL)
        }
        guard let context = engine.context else { return -Int(ENETDOWN) }
        let ephemeral = socket.boundPort == 0
        for _ in 0..<(ephemeral ? 32 : 1) {
            let port = ephemeral ? UInt16(32768 + Int(random() % 28232)) : socket.boundPort
            socket.listenResult = nil
            let listener = context.listen(on: port, backlog: backlog)
            engine.byListener[ObjectIdentifier(listener)] = socket
            socket.phase = .opening(listener)
            // listen() is not interrupted by signals; the service answers within a round trip.
            while socket.listenResult == nil { _ = engine.block(on: socket, deadline: -1, restartable: true) }
            if socket.listenResult == 0 {
                socket.boundPort = port
                socket.isBound = true
                socket.asksAhead = asked != 0
                return 0
            }
            if socket.listenResult != EADDRINUSE || !ephemeral { return -Int(socket.listenResult ?? EINVAL) }
        }
        return -Int(EADDRINUSE)
    })
}

/// Writes a sockaddr_in for `address:port` into `target` (truncated to `*length`, as the kernel
/// does), setting `*length` to the full size.
func store(address: IPv4Address, port: UInt16, into target: UnsafeMutablePointer<sockaddr>?, length: UnsafeMutablePointer<socklen_t>?) {
    guard let target, let length else { return }
    var inet = sockaddr_in()
    inet.sin_family = sa_family_t(AF_INET)
    inet.sin_port = port.bigEndian
    inet.sin_addr.s_addr = address.value.bigEndian
    let size = MemoryLayout<sockaddr_in>.size
    withUnsafeBytes(of: &inet) { bytes in
        UnsafeMutableRawPointer(target).copyMemory(from: bytes.baseAddress!, byteCount: min(Int(length.pointee), size))
    }
    length.pointee = socklen_t(size)
}

@_cdecl("flexposix_swift_accept")
func flexposixAccept(_ descriptor: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: UnsafeMutablePointer<socklen_t>?,
                     _ flags: Int32) -> Int32 {
    Int32(withSocket(descriptor) { engine, socket in
        let limit = deadline(after: socket.receiveTimeout)
        while true {
            guard case .listening = socket.phase else { return -Int(EINVAL) }
            if !socket.acceptQueue.isEmpty { break }
            if !socket.asksAhead && socket.connectionsWaitingInService > 0 && !socket.isAcceptWanted {
                // Backlog 0: the connection poll reported waits in the service; ask for it now.
                socket.isAcceptWanted = true
                engine.takeNextConnection(for: socket)
            }
            // Even non-blocking, such an accept waits for the service's answer (one round trip).
            if socket.isNonBlocking && !(socket.isAcceptWanted && socket.isAcceptUnderWay) { return -Int(EAGAIN) }
            let waited = engine.block(on: socket, deadline: limit, restartable: socket.receiveTimeout < 0)
            if waited != 0 { return waited }
        }
        let accepted = socket.acceptQueue.removeFirst()
        let newDescriptor = flexposix_eventfd(flags & socketCloseOnExec != 0 ? 1 : 0)
        guard newDescriptor >= 0 else {
            let code = errno
            socket.acceptQueue.insert(accepted, at: 0)
            return -Int(code)
        }
        accepted.isNonBlocking = flags & socketNonBlock != 0
        engine.add(accepted, descriptor: newDescriptor)
        engine.updateMirror(socket)
        engine.takeNextConnection(for: socket)
        if let connection = accepted.connection { store(address: connection.remoteAddress, port: connection.remotePort, into: address, length: length) }
        return Int(newDescriptor)
    })
}

@_cdecl("flexposix_swift_connect")
func flexposixConnect(_ descriptor: Int32, _ address: UnsafePointer<sockaddr>?, _ length: socklen_t) -> Int32 {
    Int32(withSocket(descriptor) { engine, socket in
        switch socket.phase {
        case .connected:
            return -Int(EISCONN)
        case .opening, .listening:
            return -Int(EISCONN)
        case .connecting:
            if socket.isNonBlocking { return -Int(EALREADY) }
        case .failed where socket.pendingError != 0:
            return -Int(socket.takePendingError())
        case .fresh, .failed:
            let (host, port, error) = parse(address, length)
            guard error == 0 else { return -Int(error) }
            guard let context = engine.context else { return -Int(ENETDOWN) }
            // flextcpd serves its interface only: the loopback network stays the kernel's, and so
            // does 0.0.0.0, which Linux's connect takes for the local host.
            if host >> 24 == 127 || host == 0 {
                guard case .fresh = socket.phase else { return -Int(EINVAL) }
                return engine.handOverToKernel(socket)
            }
            if port == 0 { return -Int(ECONNREFUSED) }
            let connection = context.connect(to: IPv4Address(host), port: port)
            engine.byConnection[ObjectIdentifier(connection)] = socket
            socket.phase = .connecting(connection)
            if socket.isNonBlocking { return -Int(EINPROGRESS) }
        }
        let limit = deadline(after: socket.sendTimeout)
        while case .connecting = socket.phase {
            let waited = engine.block(on: socket, deadline: limit, restartable: socket.sendTimeout < 0)
            if waited == -Int(EAGAIN) { return -Int(EINPROGRESS) }
            if waited != 0 { return waited }
        }
        if case .connected = socket.phase { return 0 }
        return -Int(socket.takePendingError(or: ECONNREFUSED))
    })
}

@_cdecl("flexposix_swift_close")
func flexposixClose(_ descriptor: Int32) -> Int32 {
    flexposix_lock()
    Engine.current.forget(descriptor)
    flexposix_unlock()
    return flexposix_real_close(descriptor) < 0 ? -errno : 0
}

@_cdecl("flexposix_swift_release")
func flexposixRelease(_ descriptor: Int32) {
    flexposix_lock()
    Engine.current.forget(descriptor)
    flexposix_unlock()
}

@_cdecl("flexposix_swift_adopt")
func flexposixAdopt(_ from: Int32, _ to: Int32) {
    flexposix_lock()
    let engine = Engine.current
    if let socket = engine.sockets[from] { engine.add(socket, descriptor: to) }
    flexposix_unlock()
}

@_cdecl("flexposix_swift_shutdown")
func flexposixShutdown(_ descriptor: Int32, _ how: Int32) -> Int32 {
    Int32(withSocket(descriptor) { engine, socket in
        guard how == Int32(SHUT_RD) || how == Int32(SHUT_WR) || how == Int32(SHUT_RDWR) else { return -Int(EINVAL) }
        let reading = how != Int32(SHUT_WR), writing = how != Int32(SHUT_RD)
        switch socket.phase {
        case .listening(let listener) where reading:
            // As Linux: shutting a listener's reading closes it with the connections it held;
            // accept() then fails with EINVAL.
            engine.closeListener(listener, of: socket)
            socket.phase = .failed
        case .opening, .listening:
            return 0  // as Linux: SHUT_WR alone leaves a listener as it is
        case .connecting(let connection):
            // As Linux: a shutdown aborts a connect under way. A stand-in nobody holds takes the
            // connection, which is closed if it still completes (`Engine.dispatch`).
            let stray = PosixSocket(nonBlocking: true)
            stray.phase = .connecting(connection)
            stray.isOrphaned = true
            engine.byConnection[ObjectIdentifier(connection)] = stray
            socket.phase = .failed
        case .connected(let connection):
            // Reading shut: what was received (and what still comes) stays readable, then reads
            // return 0 instead of waiting, as on Linux.
            if reading { socket.isReadShut = true }
            if writing && !socket.isWriteShut {
                socket.isWriteShut = true
                engine.context?.close(connection)
            }
            engine.context?.flush()
        default:
            return -Int(ENOTCONN)
        }
        engine.notify(socket)
        return 0
    })
}

@_cdecl("flexposix_swift_fcntl")
func flexposixFcntl(_ descriptor: Int32, _ command: Int32, _ argument: Int) -> Int32 {
    Int32(withSocket(descriptor) { _, socket in
        if command == F_GETFL { return Int(O_RDWR | (socket.isNonBlocking ? O_NONBLOCK : 0)) }
        socket.isNonBlocking = Int32(truncatingIfNeeded: argument) & O_NONBLOCK != 0
        return 0
    })
}

@_cdecl("flexposix_swift_ioctl")
func flexposixIoctl(_ descriptor: Int32, _ request: UInt, _ argument: UnsafeMutableRawPointer?) -> Int32 {
    Int32(withSocket(descriptor) { _, socket in
        guard let argument else { return -Int(EFAULT) }
        switch request {
        case UInt(FIONBIO):
            socket.isNonBlocking = argument.load(as: Int32.self) != 0
        case UInt(FIONREAD):
            guard case .connected(let connection) = socket.phase else { return -Int(EINVAL) }
            argument.storeBytes(of: Int32(clamping: connection.isOpen ? connection.unfreedByteCount : 0), as: Int32.self)
        case UInt(TIOCOUTQ):
            guard case .connected(let connection) = socket.phase else { return -Int(EINVAL) }
            argument.storeBytes(of: Int32(clamping: connection.unacknowledgedByteCount), as: Int32.self)
        default:
            return -Int(ENOTTY)
        }
        return 0
    })
}

@_cdecl("flexposix_swift_exit")
func flexposixExit() {
    flexposix_lock()
    Engine.current.finishAtExit()
    flexposix_unlock()
}
