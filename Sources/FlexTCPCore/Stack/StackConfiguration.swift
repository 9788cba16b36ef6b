import FlexWire

/// Everything an embedded `Stack` needs: its address and route, how many connections it can hold,
/// the size of every connection's rings, and the slow path's policy (timers, TIME_WAIT, options).
///
/// Contract: memory is fixed at `Stack.init` from these numbers — a payload region of
/// `flowCapacity × (receiveRingSize + transmitRingSize)` bytes, `flowCapacity` flow slots and a
/// receive batch of `receiveBatchSize` frames. Times are nanoseconds.
package struct StackConfiguration: Sendable {
    package var network: NetworkHostConfiguration
    /// Connections (in any state, TIME_WAIT included) the stack holds at once.
    package var flowCapacity = 256
    /// Completed connections waiting for `accept`, per listener, unless `listen` is given another.
    package var backlog = 128
    /// Frames taken from the port per `poll`.
    package var receiveBatchSize = 64
    /// Ring sizes, SYN queue, retransmission and TIME_WAIT timers, offered options.
    package var slowPath = SlowPathConfiguration()
    /// Bytes the windows of all receiving connections may add up to (nil: each advertises its whole
    /// receive ring). Set it to what the port can hold unread (`ReceiveRingPlan`); connections share
    /// it evenly, never below `FastPath.minimumReceiveWindow` each.
    package var receiveWindowBudget: UInt64?
    /// The fast path's flow-table hash key (`FastPathConfiguration.flowTableKey`): nil, a fresh
    /// random key (production); fixed only where runs must repeat (benchmarks, tests).
    package var flowTableKey: FlowKeyHasher?

    package init(interface: InterfaceAddress, gateway: IPv4Address? = nil) {
        network = NetworkHostConfiguration(interface: interface, gateway: gateway)
    }

    /// Bytes of each connection's receive ring (the largest window we advertise).
    package var receiveRingSize: UInt32 {
        get { slowPath.receiveRingSize }
        set { slowPath.receiveRingSize = newValue }
    }

    /// Bytes of each connection's transmit ring (the most we keep unacknowledged).
    package var transmitRingSize: UInt32 {
        get { slowPath.transmitRingSize }
        set { slowPath.transmitRingSize = newValue }
    }

    /// How long a connection we closed first holds its 4-tuple.
    package var timeWaitDuration: UInt64 {
        get { slowPath.timeWaitDuration }
        set { slowPath.timeWaitDuration = newValue }
    }

    /// Bytes of the payload region holding every connection's rings.
    package var payloadRegionSize: Int { flowCapacity * Int(receiveRingSize + transmitRingSize) }
}
