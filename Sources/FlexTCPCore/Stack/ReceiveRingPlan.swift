/// How many receive slots a port without back-pressure (AF_PACKET) should get for a stack's
/// connections within a memory limit, and the receive-window budget (`StackConfiguration`) that
/// keeps the windows of all connections within what those slots hold.
///
/// Rationale: a peer may send everything our windows allow at once, and what the stack has not
/// taken yet waits in the port's ring; a full ring drops frames, which the peers must then recover.
/// A slot holds one frame, and from a peer that does not merge segments (GSO off, or a real NIC
/// without GRO) one frame carries one segment, so `n` slots hold `n × segmentSize` bytes of window.
/// Slots are large (a 64 KiB super-segment must fit), so giving every connection's whole window its
/// slots quickly costs gigabytes (256 connections × 256 KiB windows ≈ 46,000 slots ≈ 3 GB); hence
/// the memory limit, and the budget that shares the slots' bytes among the connections that are
/// receiving (one connection alone still gets its whole ring).
///
/// Contract: `frameCount = min(wanted, memoryLimit / slotBytes)`, at least `minimumFrameCount`,
/// where `wanted` covers every connection's full window plus a quarter more slots kept for frames
/// that are not data for us (ACKs of what we send, handshakes, ARP). `windowBudget` is nil when
/// the ring covers every full window, else the data slots' bytes, `(frameCount - frameCount / 4) ×
/// segmentSize`. Non-positive inputs count as 1. Segments smaller than `segmentSize` (a peer
/// writing small pieces without coalescing) take more slots than the budget assumes.
package struct ReceiveRingPlan: Hashable, Sendable {
    package static let minimumFrameCount = 64

    package let frameCount: Int
    package let windowBudget: UInt64?

    package init(flowCapacity: Int, receiveWindow: UInt32, segmentSize: Int, slotBytes: Int, memoryLimit: Int) {
        let segmentSize = max(segmentSize, 1)
        let window = max(Int(receiveWindow), 1)
        let dataSlots = (max(flowCapacity, 1) * window + segmentSize - 1) / segmentSize
        let wanted = max(dataSlots + (dataSlots + 2) / 3, Self.minimumFrameCount)
        let affordable = max(memoryLimit / max(slotBytes, 1), Self.minimumFrameCount)
        frameCount = min(wanted, affordable)
        windowBudget = frameCount == wanted ? nil : UInt64(frameCount - frameCount / 4) * UInt64(segmentSize)
    }
}
