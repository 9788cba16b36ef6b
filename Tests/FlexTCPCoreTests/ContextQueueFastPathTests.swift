import FlexPort
import FlexWire
@testable import FlexTCPCore
import Testing

/// The application on one end of a flow, talking to its fast path only through context queues:
/// it learns where its rings are from an `OpenedConnection` (what the slow path's accepted event
/// carries), reads received bytes where receive-queue events point and frees them with transmit
/// entries, and writes outgoing bytes at its transmit tail, announcing them with transmit entries
/// and reusing the space as events report it acknowledged.
private final class QueueApplication {
    let endpoint: ApplicationContextEndpoint
    let connection: OpenedConnection
    let receiveRing: PayloadRing
    let transmitRing: PayloadRing
    let outgoing: [UInt8]
    var announced = 0
    var transmitTail: UInt32 = 0
    var unacknowledged: UInt32 = 0
    var unfreed: UInt32 = 0
    var received: [UInt8] = []
    var entries = [ReceiveQueueEntry](repeating: .closed(opaque: 0, flow: 0, reason: .reset), count: 16)
    var unexpectedEntries = 0

    init(endpoint: ApplicationContextEndpoint, connection: OpenedConnection, payloadRegion: UnsafeMutableRawPointer, outgoing: [UInt8]) {
        self.endpoint = endpoint
        self.connection = connection
        receiveRing = PayloadRing(base: payloadRegion + Int(connection.receiveRingOffset), size: connection.receiveRingSize)
        transmitRing = PayloadRing(base: payloadRegion + Int(connection.transmitRingOffset), size: connection.transmitRingSize)
        self.outgoing = outgoing
    }

    func step() {
        while true {
            let count = entries.withUnsafeMutableBufferPointer { endpoint.poll(into: $0) }
            if count == 0 { break }
            for entry in entries.prefix(count) {
                guard case .received(let event) = entry, event.flow == connection.flow, event.opaque == connection.opaque else {
                    unexpectedEntries += 1
                    continue
                }
                var chunk = [UInt8](repeating: 0, count: Int(event.receivedBytes))
                chunk.withUnsafeMutableBytes { receiveRing.read(into: $0.baseAddress!, count: event.receivedBytes, at: event.receivedPosition) }
                received += chunk
                unfreed += event.receivedBytes
                unacknowledged -= event.acknowledgedBytes
            }
        }
        let sendable = UInt32(min(outgoing.count - announced, Int(transmitRing.size - unacknowledged)))
        if sendable > 0 || unfreed > 0 {
            if sendable > 0 {
                outgoing[announced..<announced + Int(sendable)].withUnsafeBytes {
                    transmitRing.write($0.baseAddress!, count: sendable, at: transmitTail)
                }
            }
            // One entry both frees what was read and announces what was written (A.3 send(id, n, nrx)).
            if endpoint.submit(TransmitRequest(flow: connection.flow, opaque: connection.opaque, sendBytes: sendable, freeBytes: unfreed)) {
                announced += Int(sendable)
                transmitTail = PayloadRing.advance(transmitTail, by: sendable, size: transmitRing.size)
                unacknowledged += sendable
                unfreed = 0
            }
        }
        endpoint.flush()
    }
}

@Suite struct ContextQueueFastPathTests {
    /// Two fast paths on the in-memory wire; on each end an application that uses only its context
    /// queues moves 1 MB to the other, both ways at once. One end's receive queue holds only 4
    /// entries, so its fast path has to merge events per flow; every byte must still arrive, in order.
    @Test func megabyteEachWayThroughContextQueues() throws {
        let size = 1 << 20
        let pair = try FastPathPair()
        let fixtureA = try ContextQueueFixture(context: 0, flowCapacity: pair.a.flowCapacity)
        let fixtureB = try ContextQueueFixture(context: 0, capacities: ContextQueueCapacities(receiveEntries: 4),
                                               flowCapacity: pair.b.flowCapacity)
        func application(on side: FastPath, fixture: ContextQueueFixture, seed: UInt64) throws -> QueueApplication {
            // What the slow path's accepted event would carry for the flow it installed.
            let state = try #require(side.state(of: 0))
            let connection = OpenedConnection(opaque: state.opaque, flow: 0, status: .success,
                                              receiveRingOffset: state.receiveRingOffset, receiveRingSize: state.receiveRingSize,
                                              transmitRingOffset: state.transmitRingOffset, transmitRingSize: state.transmitRingSize,
                                              remoteAddress: state.remoteAddress, remotePort: state.remotePort, localPort: state.localPort)
            return QueueApplication(endpoint: fixture.application, connection: connection, payloadRegion: side.payloadRegion,
                                    outgoing: FastPathPair.pattern(count: size, seed: seed))
        }
        let applicationA = try application(on: pair.a, fixture: fixtureA, seed: 1)
        let applicationB = try application(on: pair.b, fixture: fixtureB, seed: 2)
        let sides = [(pair.a, pair.portA, fixtureA.fastPath), (pair.b, pair.portB, fixtureB.fastPath)]

        var rounds = 0
        while rounds < 20_000 && (applicationA.received.count < size || applicationB.received.count < size) {
            rounds += 1
            pair.clock.advance(by: 10_000)
            let now = pair.clock.now()
            for (fastPath, port, endpoint) in sides {
                _ = endpoint.drainTransmitQueue(into: fastPath, now: now)
                fastPath.transmit(now: now)
                port.poll()
            }
            for (fastPath, port, endpoint) in sides {
                port.poll()
                _ = port.receive(into: pair.receiveBatch)
                fastPath.processReceived(pair.receiveBatch, now: now)
                port.releaseReceived(pair.receiveBatch)
                for event in fastPath.events.prefix(fastPath.eventCount) { endpoint.post(event) }
                fastPath.clearEvents()
                endpoint.flush()
            }
            applicationA.step()
            applicationB.step()
        }

        #expect(applicationB.received == applicationA.outgoing)
        #expect(applicationA.received == applicationB.outgoing)
        #expect(applicationA.unexpectedEntries == 0 && applicationB.unexpectedEntries == 0)
        #expect(fixtureA.fastPath.rejectedEntries == 0 && fixtureB.fastPath.rejectedEntries == 0)
        #expect(fixtureB.fastPath.deferredEvents > 0, "the 4-entry receive queue overflowed into the backlog")
        #expect(pair.a.frames(withVerdict: .exception) == 0 && pair.b.frames(withVerdict: .exception) == 0)
        #expect(pair.a.eventOverflows == 0 && pair.b.eventOverflows == 0)
    }
}
