import Atomics
import FlexPort

/// The queues between a fast path and a slow path on threads of their own, all single-producer/
/// single-consumer rings on the context queues' frame ring implementation, each waking its
/// consumer's thread signal when armed:
/// - `commands`, slow → fast: `FlowCommand`s (the `ContextFlowControl` seam), in call order;
/// - `slowPathFrames`, slow → fast: the slow path's frames to send on the port (the transmit side
///   of its `SlowPathPort`), named by `transmitFrames` commands;
/// - `handedBack`, slow → fast: exception frames handed back to process as received, each named
///   by a `reprocessFrame` command, so it follows the install it needs;
/// - `exceptions`, fast → slow: the exception frames of each receive batch;
/// - `notices`, fast → slow: `FastPathNotice`s (FINs reported, context commands confirmed);
/// - `snapshots`: the fast path's flow states, published for the slow path (seqlock);
/// - `commandRoom`: the slow path, with commands waiting for room in `commands`, asks the fast
///   path for a signal once it has taken some (`RoomRequest`), so it sleeps instead of spinning.
///
/// Contract: `FastPathLink` (slow-path thread) and `SlowPathLink` (fast-path thread) are the two
/// ends; frames are at most the port's `maximumFrameLength` long.
final class ThreadLinkRings {
    let commands: ValueRing<FlowCommand>
    let slowPathFrames: FrameChannel
    let handedBack: FrameChannel
    let exceptions: FrameChannel
    let notices: ValueRing<FastPathNotice>
    let snapshots: FlowSnapshots
    let commandRoom: RoomRequest

    init(slots: Int, maximumFrameLength: Int, flowCapacity: Int, fastPathSignal: WakeupSignal,
         slowPathSignal: WakeupSignal) throws(FrameRingError) {
        commands = try ValueRing(slotCount: slots, consumerSignal: fastPathSignal)
        slowPathFrames = try FrameChannel(slotCount: slots, frameCapacity: maximumFrameLength, consumerSignal: fastPathSignal)
        handedBack = try FrameChannel(slotCount: slots, frameCapacity: maximumFrameLength, consumerSignal: fastPathSignal)
        exceptions = try FrameChannel(slotCount: slots, frameCapacity: maximumFrameLength, consumerSignal: slowPathSignal)
        notices = try ValueRing(slotCount: slots, consumerSignal: slowPathSignal)
        snapshots = FlowSnapshots(capacity: flowCapacity)
        commandRoom = RoomRequest(flag: .create(0), producerSignal: slowPathSignal)
    }

    deinit { commandRoom.flag.destroy() }
}
