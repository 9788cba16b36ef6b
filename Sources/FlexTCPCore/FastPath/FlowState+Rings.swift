/// Named arithmetic on a flow's two payload rings, derived from the stored positions and counts
/// (no stored fields: `FlowState` stays within its 128 bytes).
///
/// The receive ring holds, in ring order from `receiveHead`: `receiveSpace` free bytes (the window,
/// the out-of-order interval among them), then the unread bytes, which end at `receiveHead`. The
/// transmit ring holds, from `transmitHead`: the sent and unacknowledged bytes, the pending ones,
/// then the free space up to `transmitHead` again.
///
/// Contract: `FlowState`'s (positions inside their rings, byte counts within the ring sizes); every
/// result is then a position `0..<size` or a count `0...size`. Wrapping arithmetic, constant time.
extension FlowState {
    // MARK: Receive ring

    /// In-order bytes the receive ring holds that the application has not freed yet (rxFree).
    @inlinable
    package var unreadByteCount: UInt32 { receiveRingSize &- receiveSpace }

    /// Ring position of the oldest unread byte. The free space follows `receiveHead` and wraps
    /// around to the unread bytes, so they start `receiveSpace` bytes past the head.
    @inlinable
    package var unreadStart: UInt32 { receiveRingPosition(fromHead: receiveSpace) }

    /// The receive ring position `distance` bytes past `receiveHead` (`distance <= receiveRingSize`):
    /// where the byte at RCV.NXT + `distance` goes.
    @inlinable
    package func receiveRingPosition(fromHead distance: UInt32) -> UInt32 {
        PayloadRing.advance(receiveHead, by: distance, size: receiveRingSize)
    }

    // MARK: Transmit ring

    /// Bytes the transmit ring holds: the sent and unacknowledged ones, then the pending ones.
    @inlinable
    package var transmitByteCount: UInt32 { transmitSent &+ transmitPending }

    /// Free bytes in the transmit ring: how many more the application may queue.
    @inlinable
    package var transmitSpace: UInt32 { transmitRingSize &- transmitByteCount }

    /// Ring position of the first pending byte: the next one to send.
    @inlinable
    package var unsentStart: UInt32 { transmitRingPosition(fromHead: transmitSent) }

    /// Ring position just past the last byte the ring holds: where the application's next byte goes.
    @inlinable
    package var transmitTail: UInt32 { transmitRingPosition(fromHead: transmitByteCount) }

    /// The transmit ring position `distance` bytes past `transmitHead` (`distance <= transmitRingSize`).
    @inlinable
    package func transmitRingPosition(fromHead distance: UInt32) -> UInt32 {
        PayloadRing.advance(transmitHead, by: distance, size: transmitRingSize)
    }
}
