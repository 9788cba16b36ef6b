import FlexTCPCore

/// The state of a `ContextDriver` that only its thread touches: the context, the async callers'
/// pending operations, and which handle is which.
///
/// Contract: `round` carries out commands, polls the context, and serves every connection's
/// waiting receives, writes and close as far as its rings allow. Each operation is ended exactly
/// once: by its outcome, by a cancellation, or by `failAll` when the driver stops. A connection
/// lends at most one chunk at a time; the next `receive` frees it.
final class DriverCore {
    let context: Context
    weak var driver: ContextDriver?
    /// The driver, alive while its thread runs this core (the thread holds it).
    private var owner: ContextDriver { driver! }
    private var nextKey: UInt64 = 1
    private var listeners: [UInt64: ListenerState] = [:]
    private var listenerKeys: [ObjectIdentifier: UInt64] = [:]
    private var connections: [UInt64: ConnectionState] = [:]
    private var connectionKeys: [ObjectIdentifier: UInt64] = [:]
    /// Connections whose accept or connect has not completed.
    private var opening: [ObjectIdentifier: Opening] = [:]

    private struct ListenerState {
        let handle: Listener
        var opened: PendingOperation<TCPListener>?
        var accepts: [PendingOperation<TCPConnection>] = []
        /// Accepted connections no accept waited for (its task was cancelled), for the next accept.
        var ready: [Connection] = []
        /// Accepts asked of the context and not yet completed.
        var requested = 0
        /// `close` was asked for: accepts fail with `closed` from now on.
        var isClosing = false
        /// The waiting `close`, done when the context reports the listener closed.
        var close: PendingOperation<Void>?
    }

    private enum Opening {
        case accept(listener: UInt64)
        /// nil: the connecting task was cancelled; the connection is closed once it opens.
        case connect(PendingOperation<TCPConnection>?)
    }

    private struct ConnectionState {
        let handle: Connection
        var receives: [PendingOperation<TCPConnection.Chunk?>] = []
        /// Bytes of the chunk handed out last, freed at the next receive.
        var lentBytes = 0
        var writes: [(source: any ByteSource, operation: PendingOperation<Void>)] = []
        var close: PendingOperation<Void>?
        /// `close` was called: no more writes.
        var isClosing = false
        /// The connection ended: orderly (nil failure) or with `failure`.
        var hasEnded = false
        /// Its `TCPConnection` is gone while the connection still runs: what arrives is freed
        /// unread until the stack reports it closed, then the state goes.
        var isReleased = false
        var failure: TCPError?

        init(handle: Connection) { self.handle = handle }
    }

    init(context: Context) { self.context = context }

    /// Returns true if a command, event or byte moved.
    func round(_ commands: [DriverCommand]) -> Bool {
        for command in commands { carryOut(command) }
        let events = context.poll(handle)
        var moved = false
        for key in connections.keys where serve(key) { moved = true }
        // What the round wrote, handed over now: a runtime stepping this round inside its own sends it at once.
        context.flush()
        return events > 0 || moved || !commands.isEmpty
    }

    // MARK: Commands

    private func carryOut(_ command: DriverCommand) {
        switch command {
        case .listen(let port, let backlog, let operation):
            let listener = context.listen(on: port, backlog: backlog)
            let key = takeKey()
            listeners[key] = ListenerState(handle: listener, opened: operation)
            listenerKeys[ObjectIdentifier(listener)] = key
        case .accept(let key, let operation):
            accept(on: key, operation)
        case .connect(let address, let port, let operation):
            opening[ObjectIdentifier(context.connect(to: address, port: port))] = .connect(operation)
        case .receive(let key, let operation):
            guard var state = connections[key] else { return operation.fail(.unknownConnection) }
            freeLentBytes(&state)
            if state.hasEnded {
                finish(operation, failure: state.failure)
            } else {
                state.receives.append(operation)
            }
            connections[key] = state
        case .write(let key, let source, let operation):
            guard let state = connections[key] else { return operation.fail(.unknownConnection) }
            guard !state.hasEnded && !state.isClosing else { return operation.fail(state.failure ?? .closed) }
            connections[key]?.writes.append((source, operation))
        case .close(let key, let operation):
            guard let state = connections[key] else { return operation.fail(.unknownConnection) }
            guard !state.hasEnded && !state.isClosing else { return operation.fail(state.failure ?? .closed) }
            connections[key]?.isClosing = true
            connections[key]?.close = operation
        case .releaseConnection(let key):
            guard var state = connections[key] else { return }
            guard !state.hasEnded else { return forget(key) }
            state.isReleased = true
            freeLentBytes(&state)
            context.close(state.handle)
            connections[key] = state
        case .closeListener(let key, let operation):
            guard let state = listeners[key] else { return operation.fail(.unknownConnection) }
            guard !state.isClosing else { return operation.fail(.closed) }
            listeners[key]?.close = operation
            closeListener(key)
        case .releaseListener(let key):
            if listeners[key]?.isClosing == false { closeListener(key) }
            guard let state = listeners.removeValue(forKey: key) else { return }
            listenerKeys[ObjectIdentifier(state.handle)] = nil
        case .cancel(let id):
            cancel(id)
        }
    }

    private func accept(on key: UInt64, _ operation: PendingOperation<TCPConnection>) {
        guard var state = listeners[key], state.opened == nil else { return operation.fail(.unknownConnection) }
        guard !state.isClosing else { return operation.fail(.closed) }
        if !state.ready.isEmpty {
            let connection = state.ready.removeFirst()
            listeners[key] = state
            return operation.succeed(register(connection))
        }
        state.accepts.append(operation)
        if state.requested < state.accepts.count, let connection = context.accept(on: state.handle) {
            opening[ObjectIdentifier(connection)] = .accept(listener: key)
            state.requested += 1
        }
        listeners[key] = state
    }

    /// Closes the listener and the connections accepted for it that no accept took; its waiting
    /// accepts fail with `closed` when the context reports them failed.
    private func closeListener(_ key: UInt64) {
        guard var state = listeners[key] else { return }
        state.isClosing = true
        context.close(state.handle)
        for connection in state.ready { context.close(connection) }
        state.ready.removeAll()
        listeners[key] = state
    }

    /// Ends the operation `id` with `cancelled` if it still waits (the stack may still complete the
    /// request behind it: a listener that opens is closed, an accepted connection waits for the
    /// next accept, a connection that opens is closed).
    private func cancel(_ id: UInt64) {
        for (key, state) in listeners {
            if let operation = state.opened, operation.id == id {
                listeners[key]?.opened = nil
                return operation.fail(.cancelled)
            }
            if let index = state.accepts.firstIndex(where: { $0.id == id }) {
                return listeners[key]!.accepts.remove(at: index).fail(.cancelled)
            }
            if let operation = state.close, operation.id == id {
                listeners[key]?.close = nil
                return operation.fail(.cancelled)
            }
        }
        for (handle, entry) in opening {
            if case .connect(let operation?) = entry, operation.id == id {
                opening[handle] = .connect(nil)
                return operation.fail(.cancelled)
            }
        }
        for (key, state) in connections {
            if let index = state.receives.firstIndex(where: { $0.id == id }) {
                return connections[key]!.receives.remove(at: index).fail(.cancelled)
            }
            if let index = state.writes.firstIndex(where: { $0.operation.id == id }) {
                return connections[key]!.writes.remove(at: index).operation.fail(.cancelled)
            }
            if let operation = state.close, operation.id == id {
                connections[key]?.close = nil
                connections[key]?.isClosing = false
                return operation.fail(.cancelled)
            }
        }
    }

    // MARK: Events

    private func handle(_ event: ContextEvent) {
        switch event {
        case .listening(let listener):
            guard let key = listenerKeys[ObjectIdentifier(listener)], let state = listeners[key] else { return }
            guard let operation = state.opened else {
                // The listen was cancelled: no `TCPListener` will ever name it, so it goes at once.
                listenerKeys[ObjectIdentifier(listener)] = nil
                listeners[key] = nil
                return context.close(listener)
            }
            listeners[key]?.opened = nil
            operation.succeed(TCPListener(driver: owner, key: key, port: listener.port))
        case .listenerClosed(let listener):
            guard let key = listenerKeys[ObjectIdentifier(listener)], let state = listeners[key] else { return }
            listeners[key]?.close = nil
            state.close?.succeed(())
        case .listenFailed(let listener, let error):
            guard let key = listenerKeys.removeValue(forKey: ObjectIdentifier(listener)),
                  let state = listeners.removeValue(forKey: key) else { return }
            state.opened?.fail(error)
        case .accepted(let connection):
            guard case .accept(let key)? = opening.removeValue(forKey: ObjectIdentifier(connection)) else { return }
            guard var state = listeners[key] else { return context.close(connection) }
            state.requested -= 1
            if state.accepts.isEmpty && state.isClosing {
                context.close(connection)
            } else if state.accepts.isEmpty {
                state.ready.append(connection)
            } else {
                state.accepts.removeFirst().succeed(register(connection))
            }
            listeners[key] = state
        case .acceptFailed(let connection, let error):
            guard case .accept(let key)? = opening.removeValue(forKey: ObjectIdentifier(connection)) else { return }
            listeners[key]?.requested -= 1
            if listeners[key]?.accepts.isEmpty == false { listeners[key]!.accepts.removeFirst().fail(error) }
        case .connected(let connection):
            guard case .connect(let operation)? = opening.removeValue(forKey: ObjectIdentifier(connection)) else { return }
            guard let operation else { return context.close(connection) }
            operation.succeed(register(connection))
        case .connectFailed(let connection, let error):
            guard case .connect(let operation)? = opening.removeValue(forKey: ObjectIdentifier(connection)) else { return }
            operation?.fail(error)
        case .closed(let connection, let error):
            guard let key = connectionKeys[ObjectIdentifier(connection)], var state = connections[key] else { return }
            guard !state.isReleased else { return forget(key) }
            state.hasEnded = true
            state.failure = error
            // The connection's rings are no longer its own: a lent chunk cannot be freed.
            state.lentBytes = 0
            for receive in state.receives { finish(receive, failure: error) }
            for write in state.writes { write.operation.fail(error ?? .closed) }
            if let close = state.close {
                if let error { close.fail(error) } else { close.succeed(()) }
            }
            state.receives.removeAll()
            state.writes.removeAll()
            state.close = nil
            connections[key] = state
        case .incomingConnection, .received, .sendSpaceAvailable, .endOfStream, .moved, .moveFailed, .movedIn:
            // Bytes, space and stream ends are served from the connection's state after the poll;
            // the async API never moves connections.
            break
        }
    }

    // MARK: Serving connections

    /// Serves the connection's waiting receives, then writes, then its close. Returns true if any moved.
    private func serve(_ key: UInt64) -> Bool {
        guard var state = connections[key], !state.hasEnded else { return false }
        let connection = state.handle
        guard !state.isReleased else { return context.freeReceivedBytes(connection.unfreedByteCount, of: connection) > 0 }
        var moved = false
        if state.lentBytes == 0, !state.receives.isEmpty, connection.unfreedByteCount > 0 || connection.hasStreamEnded {
            let operation = state.receives.removeFirst()
            if connection.unfreedByteCount > 0 {
                // The piece up to the ring's end: a chunk is always contiguous.
                let piece = connection.unfreedBytes.leadingPiece
                state.lentBytes = piece.count
                operation.succeed(TCPConnection.Chunk(bytes: UnsafeRawBufferPointer(piece), owner: owner))
            } else {
                finish(operation, failure: connection.streamEndReason.flatMap { TCPError($0) })
            }
            moved = true
        }
        while let write = state.writes.first {
            let space = context.reserveSendSpace(write.source.remaining, on: connection)
            let copied = write.source.write(into: space)
            if copied > 0 {
                context.sendReserved(copied, on: connection)
                moved = true
            }
            guard write.source.remaining == 0 else { break }
            state.writes.removeFirst()
            write.operation.succeed(())
        }
        if state.writes.isEmpty, let close = state.close {
            context.close(connection)
            state.close = nil
            close.succeed(())
            moved = true
        }
        connections[key] = state
        return moved
    }

    /// Ends a receive at the end of the stream: nil after an orderly end, else the failure.
    private func finish(_ receive: PendingOperation<TCPConnection.Chunk?>, failure: TCPError?) {
        if let failure { receive.fail(failure) } else { receive.succeed(nil) }
    }

    private func freeLentBytes(_ state: inout ConnectionState) {
        guard state.lentBytes > 0 else { return }
        context.freeReceivedBytes(state.lentBytes, of: state.handle)
        state.lentBytes = 0
    }

    private func forget(_ key: UInt64) {
        guard let state = connections.removeValue(forKey: key) else { return }
        connectionKeys[ObjectIdentifier(state.handle)] = nil
    }

    private func register(_ connection: Connection) -> TCPConnection {
        let key = takeKey()
        connections[key] = ConnectionState(handle: connection)
        connectionKeys[ObjectIdentifier(connection)] = key
        return TCPConnection(driver: owner, key: key, remoteAddress: connection.remoteAddress, remotePort: connection.remotePort,
                             localPort: connection.localPort)
    }

    /// Ends every pending operation with `error`.
    func failAll(with error: TCPError) {
        for case .connect(let operation?) in opening.values { operation.fail(error) }
        opening.removeAll()
        for state in listeners.values {
            state.opened?.fail(error)
            state.close?.fail(error)
            for operation in state.accepts { operation.fail(error) }
        }
        listeners.removeAll()
        for state in connections.values {
            for receive in state.receives { receive.fail(error) }
            for write in state.writes { write.operation.fail(error) }
            state.close?.fail(error)
        }
        connections.removeAll()
    }

    private func takeKey() -> UInt64 {
        defer { nextKey &+= 1 }
        return nextKey
    }
}
