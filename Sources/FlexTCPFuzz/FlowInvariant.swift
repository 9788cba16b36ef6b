import FlexTCPCore
import FlexWire

/// One property a fuzz session checks after every frame: a name and a check that returns what is
/// wrong (nil when the property holds).
///
/// Contract: checks only read the harness (no stepping, no reading from the stack). To add an
/// invariant (e.g. sender liveness), append it to `FlowInvariant.standard`; both the seeded loop and
/// the libFuzzer entry point use that list.
public struct FlowInvariant: Sendable {
    public let name: String
    public let check: @Sendable (FuzzHarness) -> String?

    public init(_ name: String, check: @escaping @Sendable (FuzzHarness) -> String?) {
        self.name = name
        self.check = check
    }

    /// Every invariant a session checks.
    public static let standard: [FlowInvariant] = [
        streamPrefix, stackStreamPrefix, receiveNextBeforeFIN, endOfStreamAtFIN,
        ringPositions, receiveSpace, transmitBytes, receiveAccounting, transmitAccounting, outOfOrderInWindow,
        senderLiveness,
    ]

    /// The application's byte stream (read, and still waiting in the ring) is a prefix of what the
    /// legitimate peer sent, in order.
    public static let streamPrefix = FlowInvariant("application stream is a prefix of the peer's") { harness in
        (harness.peerStreamMismatch ?? harness.firstUnreadMismatch()).map { "byte at position \($0) differs from what the peer sent" }
    }

    /// What the stack sends is a prefix of what its application wrote.
    public static let stackStreamPrefix = FlowInvariant("sent stream is a prefix of the application's") { harness in
        if let position = harness.stackStreamMismatch { return "byte at position \(position) differs from what the application wrote" }
        return harness.peerReceived > harness.applicationWritten
            ? "peer received \(harness.peerReceived) bytes, application wrote \(harness.applicationWritten)" : nil
    }

    /// A flow with bytes (or a FIN) to send is queued to send, in flight under the retransmission
    /// timer, or probing a closed window (`SlowPath.senderStall`).
    public static let senderLiveness = FlowInvariant("a sender with queued bytes always has a reason to act") { harness in
        harness.stack.slowPath.senderStall(of: harness.flow, in: harness.stack.fastPath, now: harness.now)
    }

    /// RCV.NXT never passes the peer's FIN (at position `peerStreamLength`, occupying one number).
    public static let receiveNextBeforeFIN = FlowInvariant("RCV.NXT never passes the peer's FIN") { harness in
        guard let state = harness.flowState else { return nil }
        let position = harness.peerPosition(of: state.receiveNext.rawValue)
        return position < 0 || position > FuzzStreams.peerStreamLength + 1 ? "RCV.NXT at peer position \(position)" : nil
    }

    /// The application sees the end of the stream only after every byte the peer sent before its FIN.
    public static let endOfStreamAtFIN = FlowInvariant("end of stream only after the whole stream") { harness in
        harness.applicationSawEnd && harness.applicationRead != FuzzStreams.peerStreamLength
            ? "end of stream after \(harness.applicationRead) bytes" : nil
    }

    /// Ring positions lie inside their rings.
    public static let ringPositions = FlowInvariant("ring positions < ring size") { harness in
        guard let state = harness.flowState else { return nil }
        return state.receiveHead < state.receiveRingSize && state.transmitHead < state.transmitRingSize
            ? nil : "receive head \(state.receiveHead)/\(state.receiveRingSize), transmit head \(state.transmitHead)/\(state.transmitRingSize)"
    }

    /// The receive space never exceeds the receive ring.
    public static let receiveSpace = FlowInvariant("receiveSpace ≤ ring size") { harness in
        guard let state = harness.flowState else { return nil }
        return state.receiveSpace <= state.receiveRingSize ? nil : "receive space \(state.receiveSpace) of \(state.receiveRingSize)"
    }

    /// Sent and pending bytes fit in the transmit ring.
    public static let transmitBytes = FlowInvariant("transmitSent + transmitPending ≤ transmit ring size") { harness in
        guard let state = harness.flowState else { return nil }
        return UInt64(state.transmitSent) + UInt64(state.transmitPending) <= UInt64(state.transmitRingSize)
            ? nil : "sent \(state.transmitSent) + pending \(state.transmitPending) > \(state.transmitRingSize)"
    }

    /// Bytes read plus bytes waiting in the ring are exactly the in-order bytes RCV.NXT covers.
    public static let receiveAccounting = FlowInvariant("read + unread = RCV.NXT − IRS − 1 (− FIN)") { harness in
        guard let state = harness.flowState else { return nil }
        let inOrder = harness.peerPosition(of: state.receiveNext.rawValue) - (state.closeFlags.contains(.peerFinished) ? 1 : 0)
        let held = Int(state.unreadByteCount)
        return harness.applicationRead + held == inOrder ? nil : "read \(harness.applicationRead) + unread \(held) ≠ \(inOrder) in order"
    }

    /// Bytes acknowledged plus bytes still in the transmit ring are exactly what the application wrote.
    public static let transmitAccounting = FlowInvariant("SND.UNA − ISS − 1 + sent + pending = written") { harness in
        guard let state = harness.flowState else { return nil }
        var acknowledged = Int(Int32(bitPattern: state.sendUnacknowledged.rawValue &- harness.stackInitialSequence &- 1))
        if state.closeFlags.contains(.finAcknowledged) { acknowledged -= 1 }
        let total = acknowledged + Int(state.transmitByteCount)
        return total == harness.applicationWritten ? nil : "acknowledged \(acknowledged) + in ring = \(total) ≠ written \(harness.applicationWritten)"
    }

    /// Every out-of-order interval lies beyond RCV.NXT and within the receive window, and no two
    /// touch or overlap (they would have been merged).
    public static let outOfOrderInWindow = FlowInvariant("out-of-order intervals within the window, disjoint") { harness in
        guard let state = harness.flowState else { return nil }
        let intervals = harness.stack.fastPath.outOfOrderIntervals(of: harness.flow)
        for (index, interval) in intervals.enumerated() {
            let offset = Int64(interval.leftEdge - state.receiveNext)
            let length = Int64(interval.rightEdge - interval.leftEdge)
            guard offset > 0, length > 0, offset + length <= Int64(state.receiveSpace) else {
                return "interval at RCV.NXT+\(offset), \(length) bytes, window \(state.receiveSpace)"
            }
            for other in intervals[(index + 1)...] where !(other.rightEdge < interval.leftEdge) && !(interval.rightEdge < other.leftEdge) {
                return "intervals \(interval) and \(other) touch"
            }
        }
        return nil
    }
}
