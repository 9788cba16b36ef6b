import FlexNVMe
import Testing

/// The outbound buffer reuses the front of its storage once it has been sent, without moving or
/// reallocating what is still pending, and hands the bytes out in the order they were appended.
@Suite("NVMe/TCP outbound buffer")
struct OutboundBufferTests {
    /// Command IDs of the 24-byte CapsuleResp PDUs at the start of `bytes`.
    private func commandIDs(_ bytes: UnsafeRawBufferPointer) -> [UInt16] {
        stride(from: 0, to: bytes.count, by: 24).map { UInt16(bytes[$0 + 20]) | UInt16(bytes[$0 + 21]) << 8 }
    }

    @Test("past the storage's end, appends go to the front once it was sent: pending bytes stay put and come out in order")
    func wrapsWithoutMoving() {
        let writer = PDUWriter()
        let buffer = OutboundBuffer(capacity: 256)
        for id in 0..<10 as Range<UInt16> { writer.append(.capsuleResp(CompletionEntry(commandID: id, status: .success)), to: buffer) }
        buffer.consume(5 * 24)
        let olderRegion = buffer.pending.baseAddress
        // 240 of 256 bytes used, 120 of them sent: the next PDU goes to the front.
        writer.append(.capsuleResp(CompletionEntry(commandID: 10, status: .success)), to: buffer)
        #expect(buffer.pending.baseAddress == olderRegion)
        #expect(buffer.count == 6 * 24)
        #expect(commandIDs(buffer.pending) == [5, 6, 7, 8, 9])
        buffer.consume(buffer.pending.count)
        #expect(commandIDs(buffer.pending) == [10])
        // Appending beyond what fits before the older region grows the storage, keeping the order.
        for id in 11..<20 as Range<UInt16> { writer.append(.capsuleResp(CompletionEntry(commandID: id, status: .success)), to: buffer) }
        #expect(commandIDs(buffer.pending) == Array(10..<20))
        buffer.consume(buffer.pending.count)
        #expect(buffer.isEmpty && buffer.count == 0)
    }
}
