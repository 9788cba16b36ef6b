@testable import FlexTCP
import FlexTCPCore
import FlexTestSupport
import Testing

@Suite("Foreign handles")
struct ForeignHandleTests {
    @Test("Listeners and connections of another context or stack are ignored or answered with a failure; their own context keeps them (stepped)")
    func foreignHandles() throws {
        let rig = try SteppedContextPair(serverContexts: 3)
        let other = try Context(attachment: rig.pair.server.attachment(for: 1))
        // Context 2 written raw, as a hostile library would.
        let rawAttachment = rig.pair.server.attachment(for: 2)
        let raw = ApplicationContextEndpoint(queues: try rawAttachment.region.queues(2), signals: rawAttachment.region.signals(2))
        var otherEvents: [ContextEvent] = []
        var rawEvents: [SlowPathEvent] = []
        var rawBuffer = [SlowPathEvent](repeating: .closed(opaque: 0, flow: 0, reason: .reset), count: 8)
        let pollOthers = {
            other.poll { otherEvents.append($0) }
            let count = rawBuffer.withUnsafeMutableBufferPointer { raw.pollEvents(into: $0) }
            rawEvents += rawBuffer.prefix(count)
        }

        let listener = rig.server.listen(on: 7)
        let clientListener = rig.client.listen(on: 9)
        #expect(rig.run { rig.serverEvents.contains { $0.isListening(listener) } && rig.clientEvents.contains { $0.isListening(clientListener) } })
        #expect(other.accept(on: listener) == nil, "another context's listener")
        #expect(rig.client.accept(on: listener) == nil, "another stack's listener")
        #expect(rig.server.accept(on: clientListener) == nil)
        other.close(listener)
        rig.client.close(listener)
        #expect(raw.submit(.accept(listener: listener.identifier, opaque: 5)))
        #expect(raw.submit(.closeListener(listener: listener.identifier, opaque: 6)))
        #expect(rig.run(also: pollOthers) { rawEvents.count >= 2 })
        #expect(rawEvents == [.accepted(OpenedConnection(opaque: 5, flow: 0, status: .noSuchListener)),
                              .listenerClosed(opaque: 6, listener: listener.identifier, status: .noSuchListener)])

        // The listener is still open for its own context: a connection arrives and is accepted there.
        let client = rig.client.connect(to: TestWire.addressB, port: 7)
        let accept = try #require(rig.server.accept(on: listener))
        #expect(rig.run(also: pollOthers) { accept.isOpen && client.isOpen })

        other.close(accept)
        rig.client.close(accept)
        #expect(other.freeReceivedBytes(1, of: accept) == 0 && rig.client.freeReceivedBytes(1, of: accept) == 0)
        #expect(other.reserveSendSpace(10, on: accept).count == 0 && rig.client.reserveSendSpace(10, on: accept).count == 0)
        #expect(other.sendReserved(10, on: accept) == 0 && rig.client.sendReserved(10, on: accept) == 0)
        other.move(accept, to: rig.server)
        rig.client.move(accept, to: rig.client)
        #expect(rig.run(also: pollOthers) { otherEvents.contains { if case .moveFailed = $0 { true } else { false } } })
        let moveErrors: [TCPError] = otherEvents.compactMap {
            if case .moveFailed(let connection, let error) = $0, connection === accept { error } else { nil }
        }
        #expect(moveErrors == [.unknownConnection])

        // The connection is untouched: still open on its own context, and it carries bytes.
        let span = rig.server.reserveSendSpace(5, on: accept)
        #expect(span.count == 5)
        #expect(span.copyBytes(from: [1, 2, 3, 4, 5] as [UInt8]) == 5)
        #expect(rig.server.sendReserved(5, on: accept) == 5)
        #expect(rig.run(also: pollOthers) { client.unfreedByteCount == 5 })
        #expect(accept.isOpen && !accept.isClosing && client.isOpen && !client.hasStreamEnded)
        #expect(rawEvents.count == 2 && !otherEvents.contains { if case .accepted = $0 { true } else { false } })
    }
}
