import FlexTCPCore

/// The state of a `ContextDriver` that only its driving thread touches: the context, the async
/// callers' pending operations, and which handle is which.
///
/// Contract: `round` carries out commands, polls the context, and serves every connection's
/// waiting reads, writes and close as far as its rings allow. Each continuation is resumed exactly
/// once: by its outcome, or by `failAll` when the driver stops.
final class DriverCore {
    let context: Context
    weak var driver: ContextDriver?
    private var nextKey: UInt64 = 1
    private var listeners: [UInt64: ListenerState] = [:]
    private var listenerKeys: [ObjectIdentifier: UInt64] = [:]
    private var connections: [UInt64: ConnectionState] = [:]
    private var connectionKeys: [ObjectIdentifier: UInt64] = [:]
    private var opening: [ObjectIdentifier: CheckedContinuation<TCPConnection, any Error>] = [:]

    private struct ListenerState {
        let handle: Listener
        var opened: CheckedContinuation<TCPListener, any Error>?
    }

    private struct ConnectionState {
        let handle: Connection
        var reads: [(maximumCount: Int, continuation: CheckedContinuation<[UInt8], any Error>)] = []
        var writes: [(bytes: [UInt8], written: Int, continuation: CheckedContinuation<Void, any Error>)] = []
        var close: CheckedContinuation<Void, any Error>?
        /// The connection ended, with this reason (`closedByApplication`: orderly).
        var finished: CloseReason?
    }

    init(context: Context) { self.context = context }

    /// Returns true if a command, event or byte moved.
    func round(_ commands: [DriverCommand]) -> Bool {
        for command in commands { carryOut(command) }
        let events = context.poll(handle)
        var moved = false
        for key in connections.keys where serve(key) { moved = true }
        return events > 0 || moved || !commands.isEmpty
    }

    private func carryOut(_ command: DriverCommand) {
        switch command {
        case .listen(let port, let backlog, let continuation):
            let listener = context.openListener(port: port, backlog: backlog)
            let key = takeKey()
            listeners[key] = ListenerState(handle: listener, opened: continuation)
            listenerKeys[ObjectIdentifier(listener)] = key
        case .accept(let key, let continuation):
            guard let listener = listeners[key]?.handle, let connection = context.accept(on: listener) else {
                return continuation.resume(throwing: TCPError.unknownHandle)
            }
            opening[ObjectIdentifier(connection)] = continuation
        case .connect(let address, let port, let continuation):
            opening[ObjectIdentifier(context.connect(to: address, port: port))] = continuation
        case .read(let key, let maximumCount, let continuation):
            guard let state = connections[key] else { return continuation.resume(throwing: TCPError.unknownHandle) }
            switch state.finished {
            case nil: connections[key]?.reads.append((maximumCount, continuation))
            case .closedByApplication: continuation.resume(returning: [])
            case let reason?: continuation.resume(throwing: TCPError.connectionClosed(reason))
            }
        case .write(let key, let bytes, let continuation):
            guard let state = connections[key] else { return continuation.resume(throwing: TCPError.unknownHandle) }
            guard let reason = state.finished else { return connections[key]!.writes.append((bytes, 0, continuation)) }
            continuation.resume(throwing: TCPError.connectionClosed(reason))
        case .close(let key, let continuation):
            guard let state = connections[key], state.close == nil else { return continuation.resume(throwing: TCPError.unknownHandle) }
            switch state.finished {
            case nil: connections[key]?.close = continuation
            case .closedByApplication: continuation.resume()
            case let reason?: continuation.resume(throwing: TCPError.connectionClosed(reason))
            }
        case .release(let key):
            guard let state = connections.removeValue(forKey: key) else { return }
            connectionKeys[ObjectIdentifier(state.handle)] = nil
            if state.finished == nil { context.close(state.handle) }
        }
    }

    private func handle(_ event: ContextEvent) {
        switch event {
        case .listenerOpened(let listener, let status):
            guard let key = listenerKeys[ObjectIdentifier(listener)], let continuation = listeners[key]?.opened, let driver else { return }
            listeners[key]?.opened = nil
            if status == .success {
                continuation.resume(returning: TCPListener(driver: driver, key: key, port: listener.port))
            } else {
                listeners[key] = nil
                listenerKeys[ObjectIdentifier(listener)] = nil
                continuation.resume(throwing: TCPError.refused(status))
            }
        case .accepted(let connection, let status), .connected(let connection, let status):
            guard let continuation = opening.removeValue(forKey: ObjectIdentifier(connection)), let driver else { return }
            guard status == .success else { return continuation.resume(throwing: TCPError.refused(status)) }
            let key = takeKey()
            connections[key] = ConnectionState(handle: connection)
            connectionKeys[ObjectIdentifier(connection)] = key
            continuation.resume(returning: TCPConnection(driver: driver, key: key, remoteAddress: connection.remoteAddress,
                                                         remotePort: connection.remotePort, localPort: connection.localPort))
        case .closed(let connection, let reason):
            guard let key = connectionKeys[ObjectIdentifier(connection)], var state = connections[key] else { return }
            // After an orderly close, pending reads see the end of the stream.
            if reason == .closedByApplication {
                for read in state.reads { read.continuation.resume(returning: []) }
                state.reads.removeAll()
            }
            fail(state, with: .connectionClosed(reason))
            connections[key] = ConnectionState(handle: connection, finished: reason)
        case .newConnection, .received, .sendSpaceAvailable, .endOfStream, .rejected, .moved, .movedIn:
            // Bytes, space and stream ends are served from the connection's state after the poll.
            break
        }
    }

    /// Serves the connection's waiting reads, then writes, then its close. Returns true if any moved.
    private func serve(_ key: UInt64) -> Bool {
        guard var state = connections[key], state.finished == nil else { return false }
        let connection = state.handle
        var moved = false
        while let read = state.reads.first, connection.unfreedBytes > 0 || connection.streamEnded {
            let count = min(read.maximumCount, connection.unfreedBytes)
            var bytes = [UInt8](repeating: 0, count: count)
            if count > 0 {
                bytes.withUnsafeMutableBytes { connection.unfreedSpan.copyBytes(to: $0.baseAddress!, count: count) }
                context.rxFree(connection, bytes: count)
            }
            state.reads.removeFirst()
            read.continuation.resume(returning: bytes)
            moved = true
        }
        while let write = state.writes.first {
            let remaining = write.bytes.count - write.written
            let space = context.txAlloc(connection, bytes: remaining)
            if space.count > 0 {
                write.bytes.withUnsafeBytes { space.copyBytes(from: $0.baseAddress! + write.written, count: space.count) }
                context.txSend(connection, bytes: space.count)
                state.writes[0].written += space.count
                moved = true
            }
            guard space.count == remaining else { break }
            state.writes.removeFirst()
            write.continuation.resume()
        }
        if state.writes.isEmpty, let close = state.close {
            context.close(connection)
            state.close = nil
            close.resume()
            moved = true
        }
        connections[key] = state
        return moved
    }

    /// Ends every pending operation with `TCPError.stopped`.
    func failAll() {
        for continuation in opening.values { continuation.resume(throwing: TCPError.stopped) }
        opening.removeAll()
        for state in listeners.values { state.opened?.resume(throwing: TCPError.stopped) }
        listeners.removeAll()
        for state in connections.values { fail(state, with: .stopped) }
        connections.removeAll()
    }

    private func fail(_ state: ConnectionState, with error: TCPError) {
        for read in state.reads { read.continuation.resume(throwing: error) }
        for write in state.writes { write.continuation.resume(throwing: error) }
        state.close?.resume(throwing: error)
    }

    private func takeKey() -> UInt64 {
        defer { nextKey &+= 1 }
        return nextKey
    }
}
