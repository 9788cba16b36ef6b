import FlexWire

/// Why a `Stack` application call failed.
package enum StackError: Error, Equatable, Sendable {
    case slowPath(SlowPathError)
    /// The flow index names no connection this stack holds.
    case unknownFlow(FlowIndex)
}

// The embedded application API: connections by flow index, bytes copied in and out of the rings.
extension Stack {
    /// Accepts connections to `port`; `backlog` (default: the configuration's) completed ones wait.
    package func listen(port: UInt16, backlog: Int? = nil) throws(StackError) {
        do {
            try slowPath.listen(port: port, backlog: backlog ?? configuration.backlog)
        } catch {
            throw .slowPath(error)
        }
    }

    /// The oldest completed connection to `port` not yet accepted, or nil.
    package func accept(port: UInt16) -> FlowIndex? { slowPath.accept(port: port) }

    /// Starts a connection to `address:port`; its phase is `.connecting` until the handshake ends.
    package func connect(to address: IPv4Address, port: UInt16, now: UInt64) throws(StackError) -> FlowIndex {
        do {
            let flow = try slowPath.connect(to: address, port: port, now: now)
            phases[Int(flow)] = .connecting
            return flow
        } catch {
            throw .slowPath(error)
        }
    }

    /// The connection's phase (`.unused` for an index out of range).
    package func phase(of flow: FlowIndex) -> StackConnectionPhase {
        Int(flow) < phases.count ? phases[Int(flow)] : .unused
    }

    /// Received bytes waiting to be read.
    package func readableBytes(on flow: FlowIndex) -> Int {
        guard let state = fastPath.installedState(of: flow) else { return 0 }
        return Int(state.pointee.unreadByteCount)
    }

    /// True when the peer has finished and every byte it sent has been read.
    package func isEndOfStream(_ flow: FlowIndex) -> Bool {
        phase(of: flow).peerFinished && readableBytes(on: flow) == 0
    }

    /// Copies up to `buffer.count` received bytes into `buffer` and frees them in the ring (rxFree,
    /// reopening the window). Returns how many; 0 when nothing is waiting (see `isEndOfStream`).
    package func read(from flow: FlowIndex, into buffer: UnsafeMutableRawBufferPointer, now: UInt64) -> Int {
        guard let destination = buffer.baseAddress else { return 0 }
        var copied = 0
        return consume(from: flow, upTo: buffer.count, now: now) { piece in
            guard let source = piece.baseAddress else { return }
            (destination + copied).copyMemory(from: source, byteCount: piece.count)
            copied += piece.count
        }
    }

    /// Hands `body` up to `limit` received bytes where they lie in the receive ring — in order, in
    /// two pieces where the ring wraps — and then frees them (rxFree, as `read` does). Returns how
    /// many; 0 when nothing is waiting. `body` must not call back into the stack; the bytes are
    /// valid only during the call.
    package func consume(from flow: FlowIndex, upTo limit: Int, now: UInt64, _ body: (UnsafeRawBufferPointer) -> Void) -> Int {
        guard let state = fastPath.installedState(of: flow) else { return 0 }
        let count = min(state.pointee.unreadByteCount, UInt32(clamping: limit))
        guard count > 0 else { return 0 }
        ring(at: state.pointee.receiveRingOffset, size: state.pointee.receiveRingSize)
            .lend(count: count, at: state.pointee.unreadStart, body)
        fastPath.applicationFreed(flow: flow, bytes: count, now: now)
        return Int(count)
    }

    /// Bytes `write` would take now.
    package func writableBytes(on flow: FlowIndex) -> Int {
        guard canSend(on: flow), let state = fastPath.installedState(of: flow) else { return 0 }
        return Int(state.pointee.transmitSpace)
    }

    /// Copies as much of `bytes` as the transmit ring has room for after the queued bytes and
    /// queues it for sending (txSend). Returns how many; 0 when the ring is full or the connection
    /// cannot send (not open, or closed by us).
    package func write(to flow: FlowIndex, from bytes: UnsafeRawBufferPointer, now: UInt64) -> Int {
        guard canSend(on: flow), let state = fastPath.installedState(of: flow), let source = bytes.baseAddress else { return 0 }
        let count = min(UInt32(clamping: bytes.count), state.pointee.transmitSpace)
        guard count > 0 else { return 0 }
        ring(at: state.pointee.transmitRingOffset, size: state.pointee.transmitRingSize)
            .write(source, count: count, at: state.pointee.transmitTail)
        return fastPath.applicationQueued(flow: flow, bytes: count, now: now) ? Int(count) : 0
    }

    /// Closes our direction: a FIN follows the bytes already written. Returns false when the flow
    /// is unknown or already closing.
    @discardableResult
    package func close(_ flow: FlowIndex, now: UInt64) -> Bool {
        slowPath.close(flow: flow, now: now)
    }

    /// Whether `flow` can take new bytes: established (or peer-closed) and not closed by us.
    private func canSend(on flow: FlowIndex) -> Bool {
        switch slowPath.state(of: flow) {
        case .established, .closeWait: fastPath.installedState(of: flow)?.pointee.closeFlags.contains(.finQueued) == false
        default: false
        }
    }

    private func ring(at offset: UInt32, size: UInt32) -> PayloadRing {
        PayloadRing(base: fastPath.payloadRegion + Int(offset), size: size)
    }
}
