import FlexPort
import FlexTestSupport
import FlexWire
@testable import FlexTCPCore

/// Two fast paths joined by an in-memory wire (optionally impaired on both sides by a link
/// emulator), each with one installed flow to the other, and a tiny application on each end that
/// copies bytes in and out of the payload rings. Runs on a `TestWire`'s virtual time and round loop.
/// `wrapA` puts a port of the test's choice around A's end; `trustsPartialChecksums` makes the wire
/// waive checksums its senders leave partial.
final class FastPathPair {
    static let addressA = TestWire.addressA
    static let addressB = TestWire.addressB
    static let ringSize: UInt32 = 64 * 1024

    let link: TestWire
    var clock: VirtualTimeSource { link.clock }
    var wire: MemoryWire { link.wire }
    let portA: any Port
    var portB: any Port { link.portB }
    let a: FastPath
    let b: FastPath
    let regionA: UnsafeMutableRawPointer
    let regionB: UnsafeMutableRawPointer
    let receiveBatch = FrameBatch(capacity: 64)
    /// Bytes each side's application has read so far.
    var receivedByA: [UInt8] = []
    var receivedByB: [UInt8] = []
    /// Exception frames each side passed up, as copies.
    var exceptionsAtA: [[UInt8]] = []
    var exceptionsAtB: [[UInt8]] = []
    /// Retransmissions the stand-in timeout triggered.
    var timeouts = 0

    init(options: FlowOptions = [.timestamps], windowShift: UInt8 = 0, initialSequenceA: UInt32 = 1000,
         initialSequenceB: UInt32 = 5000, impairment: LinkEmulatorSettings? = nil, ringSize: UInt32 = FastPathPair.ringSize,
         receiveWindowBudget: UInt64? = nil, trustsPartialChecksums: Bool = false,
         wrapA: (any Port) -> any Port = { $0 }, delaysAcknowledgments: Bool = false) throws {
        link = try TestWire(impairment: impairment, trustsPartialChecksums: trustsPartialChecksums)
        portA = wrapA(link.portA)
        let wire = link.wire
        regionA = .allocate(byteCount: Int(ringSize) * 2, alignment: 64)
        regionB = .allocate(byteCount: Int(ringSize) * 2, alignment: 64)
        // Tests of the fast path's mechanics drive receive without transmit: every ACK at once by default.
        a = FastPath(configuration: FastPathConfiguration(localAddress: Self.addressA, localMAC: wire.a.macAddress,
                                                          receiveWindowBudget: receiveWindowBudget, delaysAcknowledgments: delaysAcknowledgments),
                     port: portA, payloadRegion: regionA, payloadRegionSize: Int(ringSize) * 2)
        b = FastPath(configuration: FastPathConfiguration(localAddress: Self.addressB, localMAC: wire.b.macAddress,
                                                          receiveWindowBudget: receiveWindowBudget, delaysAcknowledgments: delaysAcknowledgments),
                     port: link.portB, payloadRegion: regionB, payloadRegionSize: Int(ringSize) * 2)
        func flow(localPort: UInt16, remotePort: UInt16, remote: IPv4Address, remoteMAC: MACAddress,
                  send: UInt32, receive: UInt32) -> FlowState {
            var state = FlowState()
            state.opaque = UInt64(localPort)
            state.localPort = localPort
            state.remotePort = remotePort
            state.remoteAddress = remote
            state.remoteMAC = remoteMAC
            state.options = options
            state.sendWindowShift = windowShift
            state.receiveWindowShift = windowShift
            state.maximumSegmentSize = 1448
            state.receiveRingOffset = 0
            state.receiveRingSize = ringSize
            state.receiveSpace = ringSize
            state.transmitRingOffset = ringSize
            state.transmitRingSize = ringSize
            state.receiveNext = SequenceNumber(receive)
            state.sendUnacknowledged = SequenceNumber(send)
            state.peerWindow = windowShift > 0 ? ringSize : min(ringSize, 65535)
            state.maximumPeerWindow = state.peerWindow
            state.windowUpdateSequence = SequenceNumber(receive)
            return state
        }
        try a.install(flow: 0, state: flow(localPort: 40000, remotePort: 80, remote: Self.addressB, remoteMAC: wire.b.macAddress,
                                           send: initialSequenceA, receive: initialSequenceB), now: clock.now())
        try b.install(flow: 0, state: flow(localPort: 80, remotePort: 40000, remote: Self.addressA, remoteMAC: wire.a.macAddress,
                                           send: initialSequenceB, receive: initialSequenceA), now: clock.now())
    }

    deinit {
        regionA.deallocate()
        regionB.deallocate()
    }

    /// The application on `side` appends as much of `bytes` as fits in its transmit ring; returns how many.
    func send(_ bytes: ArraySlice<UInt8>, from side: FastPath) -> Int {
        guard let state = side.state(of: 0) else { return 0 }
        let count = min(UInt32(bytes.count), state.transmitSpace)
        guard count > 0 else { return 0 }
        let ring = PayloadRing(base: side.payloadRegion + Int(state.transmitRingOffset), size: state.transmitRingSize)
        bytes.prefix(Int(count)).withUnsafeBytes { ring.write($0.baseAddress!, count: count, at: state.transmitTail) }
        _ = side.applicationQueued(flow: 0, bytes: count, now: clock.now())
        return Int(count)
    }

    /// Moves frames both ways until nothing moves, delivering events to the applications, advancing
    /// virtual time in `step` increments. Bounded by `maximumRounds`.
    /// Stands in for the slow path's timeout: a flow whose SND.UNA has not moved for `stallRounds`
    /// rounds while data is outstanding is told to retransmit.
    func run(step: UInt64 = 10_000, maximumRounds: Int = 200_000, stallRounds: Int = 100, until done: () -> Bool) {
        var lastUnacknowledged = [a.state(of: 0)?.sendUnacknowledged, b.state(of: 0)?.sendUnacknowledged]
        var stalled = [0, 0]
        link.run(step: step, maximumRounds: maximumRounds, until: done) { _ in
            for (index, side) in [a, b].enumerated() {
                guard let state = side.state(of: 0) else { continue }
                if state.sendUnacknowledged != lastUnacknowledged[index] || state.transmitSent == 0 {
                    lastUnacknowledged[index] = state.sendUnacknowledged
                    stalled[index] = 0
                } else {
                    stalled[index] += 1
                    if stalled[index] >= stallRounds {
                        side.retransmit(flow: 0, now: clock.now())
                        timeouts += 1
                        stalled[index] = 0
                    }
                }
            }
            for side in [a, b] {
                side.transmit(now: clock.now())
                side.port.poll()
            }
            for (side, port) in [(a, portA), (b, portB)] {
                port.poll()
                _ = port.receive(into: receiveBatch)
                side.processReceived(receiveBatch, now: clock.now())
                for index in side.exceptionIndices {
                    let copy = Array(receiveBatch[index].buffer)
                    if side === a { exceptionsAtA.append(copy) } else { exceptionsAtB.append(copy) }
                }
                port.releaseReceived(receiveBatch)
                deliverEvents(side)
            }
            return true
        }
    }

    /// Hands `side` what its wire end holds and drops the events: an application that reads nothing.
    func takeInUnread(at side: FastPath) {
        let end = side === a ? wire.a : wire.b
        _ = end.receive(into: receiveBatch)
        side.processReceived(receiveBatch, now: clock.now())
        end.releaseReceived(receiveBatch)
        side.clearEvents()
    }

    /// One round in which neither application reads: `step` of virtual time, A transmits, B takes it
    /// in, A takes B's answers.
    func exchangeUnread(step: UInt64 = 10_000) {
        clock.advance(by: step)
        a.transmit(now: clock.now())
        takeInUnread(at: b)
        takeInUnread(at: a)
    }

    private func deliverEvents(_ side: FastPath) {
        for event in side.events.prefix(side.eventCount) where event.receivedBytes > 0 {
            guard let state = side.state(of: event.flow) else { continue }
            var chunk = [UInt8](repeating: 0, count: Int(event.receivedBytes))
            let ring = PayloadRing(base: side.payloadRegion + Int(state.receiveRingOffset), size: state.receiveRingSize)
            chunk.withUnsafeMutableBytes { ring.read(into: $0.baseAddress!, count: event.receivedBytes, at: event.receivedPosition) }
            if side === a { receivedByA += chunk } else { receivedByB += chunk }
            _ = side.applicationFreed(flow: event.flow, bytes: event.receivedBytes, now: clock.now())
        }
        side.clearEvents()
    }

    /// Sends `data` from `from` and runs until the other side has read all of it.
    func transfer(_ data: [UInt8], from sender: FastPath, maximumRounds: Int = 200_000) {
        var offset = 0
        run(maximumRounds: maximumRounds) {
            if offset < data.count { offset += send(data[offset...], from: sender) }
            return (sender === a ? receivedByB.count : receivedByA.count) >= data.count
        }
    }

    static func pattern(count: Int, seed: UInt64) -> [UInt8] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    }
}
