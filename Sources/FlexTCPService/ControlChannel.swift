import CFlexShim
import FlexPort
import FlexTCPCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What the control thread tells the runtime thread.
enum ControlCommand: Equatable {
    /// A process sent a valid hello on `socket` and waits for its attach reply.
    case attach(socket: Int32, pid: Int32)
    /// The process on `socket` hung up (exit, crash or detach); the runtime thread closes `socket`.
    case hangUp(socket: Int32)
}

/// flextcpd's UNIX socket where applications attach, served by a thread of its own: it accepts
/// connections, reads each one's hello (`AttachProtocol`), and watches every connection for its
/// hang-up, queueing `ControlCommand`s for the runtime thread and waking it (`runtimeSignal`).
///
/// Contract: the runtime thread takes the commands (`takeCommands`), answers attaches on the
/// socket, and owns closing a socket once its `hangUp` came (never before, so a descriptor is
/// not reused under the control thread). A connection whose hello is wrong is answered with
/// `badHello` and closed here. `stop()` ends and joins the thread and removes the socket file;
/// sockets still open stay the runtime thread's to close.
final class ControlChannel: @unchecked Sendable {
    // Sendable: the listener and path never change; the watch list is the control thread's own;
    // commands cross under a lock.
    let path: String
    private let listener: Int32
    private let stopping: WakeupSignal
    private let runtimeSignal: WakeupSignal
    private let commands = Mutex<[ControlCommand]>([])
    private var thread: JoinableThread?

    init(path: String, runtimeSignal: WakeupSignal) throws(SharedMemoryError) {
        let listener = flexshim_unix_listen(path, 64)
        guard listener >= 0 else {
            let code = errno
            let hint = code == EADDRINUSE ? " (a flextcpd already serves there: stop it or give another --service path)"
                : code == EEXIST ? " (a file that is not a socket is in the way: remove it or give another --service path)" : ""
            throw SharedMemoryError(operation: "listening at \(path)\(hint)", code: code)
        }
        self.path = path
        self.listener = listener
        self.runtimeSignal = runtimeSignal
        do {
            stopping = try WakeupSignal()
        } catch {
            Glibc.close(listener)
            throw SharedMemoryError(operation: "eventfd", code: error.code)
        }
    }

    func start() throws(SharedMemoryError) {
        do {
            thread = try JoinableThread { [self] in serve() }
        } catch {
            throw SharedMemoryError(operation: "pthread_create", code: error.code)
        }
    }

    /// The commands queued since the last call, oldest first.
    func takeCommands() -> [ControlCommand] {
        commands.withLock { queued in
            defer { queued.removeAll() }
            return queued
        }
    }

    func stop() {
        stopping.signal()
        thread?.join()
        thread = nil
        Glibc.close(listener)
        unlink(path)
    }

    private func post(_ command: ControlCommand) {
        commands.withLock { $0.append(command) }
        runtimeSignal.signal()
    }

    /// The control thread: poll the listener, the stop signal and every connection.
    private func serve() {
        // Connections by descriptor: true once the hello was taken (attached or being attached).
        var connections: [Int32: Bool] = [:]
        while true {
            var descriptors = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: stopping.fileDescriptor, events: Int16(POLLIN), revents: 0)]
            descriptors += connections.keys.sorted().map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&descriptors, nfds_t(descriptors.count), -1) >= 0 || errno == EINTR else { return }
            if descriptors[1].revents != 0 { return }
            if descriptors[0].revents != 0 {
                let socket = accept(listener, nil, nil)
                if socket >= 0 {
                    _ = fcntl(socket, F_SETFD, FD_CLOEXEC)
                    connections[socket] = false
                }
            }
            for entry in descriptors.dropFirst(2) where entry.revents != 0 {
                let socket = entry.fd
                var bytes = [UInt8](repeating: 0, count: 64)
                let received = bytes.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if received < 0 && (errno == EAGAIN || errno == EINTR) { continue }
                let helloTaken = connections[socket] ?? true
                if received <= 0 {
                    connections[socket] = nil
                    // Hung up before its hello: nobody else knows the socket.
                    if helloTaken { post(.hangUp(socket: socket)) } else { Glibc.close(socket) }
                } else if !helloTaken {
                    if AttachProtocol.isHello(Array(bytes.prefix(received))) {
                        connections[socket] = true
                        post(.attach(socket: socket, pid: flexshim_peer_pid(socket)))
                    } else {
                        connections[socket] = nil
                        let reply = AttachReply(status: .badHello).encoded
                        _ = reply.withUnsafeBytes { flexshim_send_with_descriptors(socket, $0.baseAddress, $0.count, nil, 0) }
                        Glibc.close(socket)
                    }
                }
                // Anything an attached application sends later means nothing; it was read and dropped.
            }
        }
    }
}
