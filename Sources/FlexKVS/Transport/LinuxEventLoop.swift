import CFlexShim
#if canImport(Glibc)
import Glibc
#endif

/// One thread's epoll loop over a listening socket and the connections it accepted.
///
/// Contract: `run` on one thread until `requestStop` (any thread) wakes it through an eventfd;
/// then every socket of the loop is closed.
final class LinuxEventLoop: @unchecked Sendable {
    private let server: CacheServer
    private let listener: Int32
    private let epoll: Int32
    private let stopSignal: Int32
    private let datagrams: LinuxUDPEndpoint?
    private var connections: [LinuxSocketConnection?] = []

    init(server: CacheServer, listener: Int32, datagrams: LinuxUDPEndpoint?) throws(TransportError) {
        self.server = server
        self.listener = listener
        self.datagrams = datagrams
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        stopSignal = flexshim_eventfd_open()
        guard epoll >= 0, stopSignal >= 0 else { throw TransportError("epoll/eventfd: \(String(cString: strerror(errno)))") }
        register(listener, interest: UInt32(EPOLLIN.rawValue), operation: EPOLL_CTL_ADD)
        register(stopSignal, interest: UInt32(EPOLLIN.rawValue), operation: EPOLL_CTL_ADD)
        if let datagrams { register(datagrams.descriptor, interest: UInt32(EPOLLIN.rawValue), operation: EPOLL_CTL_ADD) }
    }

    /// Wakes `run` and makes it return.
    func requestStop() {
        _ = flexshim_eventfd_signal(stopSignal)
    }

    /// Serves until `requestStop`.
    func run() {
        let capacity = 64
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer {
            events.deallocate()
            for connection in connections.compactMap({ $0 }) { drop(connection) }
            close(listener)
            close(stopSignal)
            close(epoll)
        }
        while true {
            let ready = epoll_wait(epoll, events, Int32(capacity), -1)
            if ready < 0 && errno != EINTR { return }
            for index in 0..<Int(max(0, ready)) {
                let descriptor = events[index].data.fd
                if descriptor == stopSignal { return }
                if descriptor == listener {
                    acceptWaiting()
                } else if let datagrams, descriptor == datagrams.descriptor {
                    datagrams.serveWaiting()
                } else if let connection = connections[Int(descriptor)] {
                    serve(connection, events: events[index].events)
                }
            }
        }
    }

    private func acceptWaiting() {
        while true {
            let descriptor = flexshim_accept_nonblocking(listener)
            guard descriptor >= 0 else { return }
            var one: Int32 = 1
            setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            while connections.count <= Int(descriptor) { connections.append(nil) }
            let connection = LinuxSocketConnection(descriptor: descriptor, server: server)
            connections[Int(descriptor)] = connection
            server.connectionOpened()
            connection.interest = UInt32(EPOLLIN.rawValue)
            register(descriptor, interest: connection.interest, operation: EPOLL_CTL_ADD)
        }
    }

    private func serve(_ connection: LinuxSocketConnection, events: UInt32) {
        if events & UInt32(EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
            guard connection.readAndProcess(server: server) else { return drop(connection) }
        }
        guard connection.flush(server: server) else { return drop(connection) }
        let pending = connection.session.output.count
        if connection.session.wantsClose && pending == 0 { return drop(connection) }
        var interest: UInt32 = pending > 0 ? UInt32(EPOLLOUT.rawValue) : 0
        if !connection.session.isPaused && !connection.session.wantsClose { interest |= UInt32(EPOLLIN.rawValue) }
        if interest != connection.interest {
            connection.interest = interest
            register(connection.descriptor, interest: interest, operation: EPOLL_CTL_MOD)
        }
    }

    private func drop(_ connection: LinuxSocketConnection) {
        epoll_ctl(epoll, EPOLL_CTL_DEL, connection.descriptor, nil)
        close(connection.descriptor)
        connections[Int(connection.descriptor)] = nil
        server.connectionClosed()
    }

    private func register(_ descriptor: Int32, interest: UInt32, operation: Int32) {
        var event = epoll_event()
        event.events = interest
        event.data.fd = descriptor
        epoll_ctl(epoll, operation, descriptor, &event)
    }
}
