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

    /// Appends a CapsuleResp PDU (24 bytes) for each of `ids`.
    private func appendResponses(_ ids: Range<UInt16>, to buffer: OutboundBuffer) {
        let writer = PDUWriter()
        for id in ids { writer.append(.capsuleResp(CompletionEntry(commandID: id, status: .success)), to: buffer) }
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

    @Test("held bytes are not pending, are neither overwritten nor freed until released (a storage that grows is kept), and unhold makes them pending again")
    func heldBytesStayPut() {
        let buffer = OutboundBuffer(capacity: 256)
        appendResponses(0..<10, to: buffer)
        let held = buffer.pending
        let original = Array(held)
        buffer.hold(held.count)
        #expect(buffer.isEmpty && buffer.held == 240)
        // No room before the held bytes: the storage grows, the held bytes keep their old place.
        appendResponses(10..<12, to: buffer)
        #expect(commandIDs(buffer.pending) == [10, 11])
        #expect(Array(held) == original)  // freed memory would carry the allocator's list pointers
        buffer.unhold(48)
        #expect(commandIDs(buffer.pending) == [8, 9, 10, 11])
        buffer.release(192)
        buffer.hold(buffer.pending.count)
        buffer.release(buffer.held)
        #expect(buffer.isEmpty && buffer.count == 0 && buffer.held == 0)
    }

    @Test("appends that wrap to the front stop short of held bytes")
    func wrapStopsAtHeldBytes() {
        let buffer = OutboundBuffer(capacity: 256)
        appendResponses(0..<10, to: buffer)
        buffer.consume(5 * 24)
        let held = buffer.pending
        let original = Array(held)
        buffer.hold(held.count)
        // 120 bytes free before the held ones: five PDUs fit there, the sixth grows the storage.
        appendResponses(10..<16, to: buffer)
        #expect(Array(held) == original)
        #expect(buffer.count == 6 * 24)
        buffer.release(5 * 24)
        #expect(commandIDs(buffer.pending) == Array(10..<16))
    }
}

/// PDUs written into lent transmit space (a ring that wraps anywhere: in a header, in the data, in
/// the data digest) are byte for byte what the own storage gets, and the order of PDUs is kept when
/// one does not fit.
@Suite("NVMe/TCP outbound buffer, lent transmit space")
struct LentSpaceTests {
    /// A capsule with 1,000 bytes of in-capsule data and a CapsuleResp-sized keep-alive capsule, with digests and PDA 8 bytes.
    private func appendPDUs(to buffer: OutboundBuffer) {
        var writer = PDUWriter()
        writer.headerDigest = true
        writer.dataDigest = true
        writer.dataAlignment = 1
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        data.withUnsafeBytes { writer.append(.capsuleCmd(Command.blocks(IOOpcode.write, lba: 3, blocks: 2)), data: $0, to: buffer) }
        writer.append(.capsuleCmd(Command.admin(AdminOpcode.keepAlive)), to: buffer)
    }

    /// Runs `body` with the PDUs as the own storage gets them and a ring of `extra` more bytes (0xEE).
    private func withRing(extra: Int, _ body: (_ expected: [UInt8], _ ring: UnsafeMutableRawBufferPointer) -> Void) {
        let reference = OutboundBuffer()
        appendPDUs(to: reference)
        let expected = Array(reference.pending)
        let ring = UnsafeMutableRawBufferPointer.allocate(byteCount: expected.count + extra, alignment: 8)
        defer { ring.deallocate() }
        ring.initializeMemory(as: UInt8.self, repeating: 0xEE)
        body(expected, ring)
    }

    @Test("written in place across every wrap point, the PDUs equal those of the own storage")
    func everyWrapPoint() {
        withRing(extra: 16) { expected, ring in
            for position in 1..<ring.count {
                ring.initializeMemory(as: UInt8.self, repeating: 0xEE)
                let buffer = OutboundBuffer()
                // Free space from `position` to the ring's end, then from its start: the ring's whole size.
                buffer.lend(UnsafeMutableRawBufferPointer(rebasing: ring[position...]), UnsafeMutableRawBufferPointer(rebasing: ring[..<position]))
                appendPDUs(to: buffer)
                #expect(buffer.isEmpty)
                let written = buffer.takeLent()
                #expect(written == expected.count)
                let sent = Array(ring[position...]) + Array(ring[..<position])
                #expect(Array(sent[..<written]) == expected, "wrapping \(ring.count - position) bytes in")
            }
        }
    }

    @Test("a PDU that does not fit goes to the own storage, and so do the ones after it")
    func orderKept() {
        // Room for both PDUs and 80 bytes more: enough for another keep-alive capsule (76 bytes with its header digest).
        withRing(extra: 80) { expected, ring in
            let buffer = OutboundBuffer()
            buffer.lend(ring, UnsafeMutableRawBufferPointer(start: nil, count: 0))
            appendPDUs(to: buffer)  // both fit
            appendPDUs(to: buffer)  // the data capsule no longer fits; the keep-alive capsule would, but follows it
            #expect(buffer.takeLent() == expected.count)
            #expect(Array(ring[..<expected.count]) == expected)
            #expect(Array(buffer.pending) == expected)
        }
    }
}
