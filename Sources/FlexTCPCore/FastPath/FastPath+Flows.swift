import FlexWire

/// Why the slow path could not install a flow.
public enum FlowInstallError: Error, Equatable, Sendable {
    case flowIndexOutOfRange
    case flowIndexInUse
    case duplicateTuple
    case tableFull
    /// A ring lies (partly) outside the payload region, or has size 0.
    case ringOutsideRegion
}

extension FastPath {
    /// Installs an established flow (the slow path calls this when a handshake completes).
    public func install(flow: FlowIndex, state: FlowState, now: UInt64) throws(FlowInstallError) {
        let index = Int(flow)
        guard index < configuration.flowCapacity else { throw .flowIndexOutOfRange }
        guard !installed[index] else { throw .flowIndexInUse }
        guard ringFits(offset: state.receiveRingOffset, size: state.receiveRingSize),
              ringFits(offset: state.transmitRingOffset, size: state.transmitRingSize) else { throw .ringOutsideRegion }
        do {
            try flowTable.insert(flow, for: key(of: state))
        } catch .duplicateKey {
            throw .duplicateTuple
        } catch {
            throw .tableFull
        }
        flows[index] = state
        installed[index] = true
        if state.transmitPending > 0 { queueManager.add(flow: flow, bytes: state.transmitPending, now: now) }
    }

    /// Removes a flow's state; returns its last state, or nil if none was installed.
    @discardableResult
    public func remove(flow: FlowIndex) -> FlowState? {
        let index = Int(flow)
        guard index < configuration.flowCapacity, installed[index] else { return nil }
        let state = flows[index]
        flowTable.remove(key(of: state))
        queueManager.remove(flow: flow)
        installed[index] = false
        return state
    }

    /// Sets a flow's transmit rate (bytes per second; `QueueManager.unlimitedRate` for none).
    public func setRate(flow: FlowIndex, bytesPerSecond: UInt64, now: UInt64) {
        guard Int(flow) < configuration.flowCapacity, installed[Int(flow)] else { return }
        queueManager.setRate(flow: flow, bytesPerSecond: bytesPerSecond, now: now)
    }

    /// The application appended `bytes` to the flow's transmit ring (txSend). Returns false when
    /// the flow does not exist or the bytes do not fit in the ring (an untrusted app's error).
    @discardableResult
    public func applicationQueued(flow: FlowIndex, bytes: UInt32, now: UInt64) -> Bool {
        guard Int(flow) < configuration.flowCapacity, installed[Int(flow)] else { return false }
        let state = flows + Int(flow)
        let used = UInt64(state.pointee.transmitSent) + UInt64(state.pointee.transmitPending) + UInt64(bytes)
        guard used <= UInt64(state.pointee.transmitRingSize) else { return false }
        state.pointee.transmitPending &+= bytes
        queueManager.add(flow: flow, bytes: bytes, now: now)
        return true
    }

    /// The application consumed `bytes` of received data (rxFree). Returns false for an unknown
    /// flow or more bytes than it holds. Opening a closed window sends a window update at once.
    @discardableResult
    public func applicationFreed(flow: FlowIndex, bytes: UInt32, now: UInt64) -> Bool {
        guard Int(flow) < configuration.flowCapacity, installed[Int(flow)] else { return false }
        let state = flows + Int(flow)
        let held = state.pointee.receiveRingSize &- state.pointee.receiveSpace
        guard bytes <= held else { return false }
        let wasClosed = state.pointee.advertisedWindow == 0
        state.pointee.receiveSpace &+= bytes
        if wasClosed && state.pointee.advertisedWindow > 0 {
            sendAcknowledgment(state, flags: .ack, now: now)
            flushTransmitBatch()
        }
        return true
    }

    /// Retransmission from the oldest unacknowledged byte (go-back-N), as the slow path's RTO asks.
    public func retransmit(flow: FlowIndex, now: UInt64) {
        guard Int(flow) < configuration.flowCapacity, installed[Int(flow)] else { return }
        let rewound = rewindTransmission(flows + Int(flow))
        if rewound > 0 { queueManager.add(flow: flow, bytes: rewound, now: now) }
    }

    /// Moves every sent-but-unacknowledged byte back to pending; returns how many.
    @discardableResult
    func rewindTransmission(_ state: UnsafeMutablePointer<FlowState>) -> UInt32 {
        let rewound = state.pointee.transmitSent
        state.pointee.transmitPending &+= rewound
        state.pointee.transmitSent = 0
        state.pointee.duplicateAcknowledgments = 0
        return rewound
    }

    func key(of state: FlowState) -> FlowKey {
        FlowKey(localAddress: configuration.localAddress, localPort: state.localPort,
                remoteAddress: state.remoteAddress, remotePort: state.remotePort)
    }

    private func ringFits(offset: UInt32, size: UInt32) -> Bool {
        size > 0 && UInt64(offset) + UInt64(size) <= UInt64(payloadRegionSize)
    }
}
