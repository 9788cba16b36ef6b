import Testing
@testable import FlexTCPCore

@Suite("Flow state ring arithmetic")
struct FlowStateRingTests {
    /// A flow whose rings are 100 bytes each.
    private func flow(receiveHead: UInt32 = 0, receiveSpace: UInt32 = 100,
                      transmitHead: UInt32 = 0, sent: UInt32 = 0, pending: UInt32 = 0) -> FlowState {
        var state = FlowState()
        state.receiveRingSize = 100
        state.receiveHead = receiveHead
        state.receiveSpace = receiveSpace
        state.transmitRingSize = 100
        state.transmitHead = transmitHead
        state.transmitSent = sent
        state.transmitPending = pending
        return state
    }

    @Test("the unread bytes end at the receive head, across the ring's end or not")
    func unreadBytes() {
        let straight = flow(receiveHead: 90, receiveSpace: 40)
        #expect(straight.unreadByteCount == 60 && straight.unreadStart == 30)
        let wrapped = flow(receiveHead: 30, receiveSpace: 50)
        #expect(wrapped.unreadByteCount == 50 && wrapped.unreadStart == 80)
        let full = flow(receiveHead: 30, receiveSpace: 0)
        #expect(full.unreadByteCount == 100 && full.unreadStart == 30)
        let empty = flow(receiveHead: 30, receiveSpace: 100)
        #expect(empty.unreadByteCount == 0 && empty.unreadStart == 30)
        #expect(wrapped.receiveRingPosition(fromHead: 69) == 99 && wrapped.receiveRingPosition(fromHead: 70) == 0)
    }

    @Test("sent then pending bytes follow the transmit head; the tail wraps and the rest is free")
    func transmitBytes() {
        let wrapped = flow(transmitHead: 70, sent: 20, pending: 30)
        #expect(wrapped.transmitByteCount == 50 && wrapped.transmitSpace == 50)
        #expect(wrapped.unsentStart == 90 && wrapped.transmitTail == 20)
        let full = flow(transmitHead: 70, sent: 60, pending: 40)
        #expect(full.transmitSpace == 0 && full.unsentStart == 30 && full.transmitTail == 70)
        let empty = flow(transmitHead: 70)
        #expect(empty.transmitByteCount == 0 && empty.transmitSpace == 100 && empty.transmitTail == 70)
        #expect(wrapped.transmitRingPosition(fromHead: 29) == 99 && wrapped.transmitRingPosition(fromHead: 30) == 0)
    }
}
