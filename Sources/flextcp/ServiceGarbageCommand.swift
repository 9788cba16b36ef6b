import ArgumentParser
import FlexPort
import FlexTCP
import FlexTCPCore
import FlexWire
#if canImport(Glibc)
import Glibc
#endif

/// `flextcp service-garbage`: a hostile application for tests of flextcpd's protection. Attached
/// like any application, it first writes well-formed entries the service must refuse — send/free
/// counts for every flow index under likely opaques (other applications' flows among them),
/// closes and moves of flows it does not own, moves into another application's context, accepts
/// and listener closes on listeners it does not hold — and counts the errors it gets back; then it
/// overwrites its whole memory slot (queue headers, indices, entries, rings) with random bytes,
/// round after round, signalling the service each time.
struct ServiceGarbageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service-garbage",
        abstract: "Attach to flextcpd as a hostile application: crafted entries, then random garbage in its queues and rings.",
        discussion: "Prints `service-garbage: rejected=N refused=M` (errors it got back for crafted entries) and exits 0 once done.")

    @Option(help: "The flextcpd socket (default: as flextcp service-send).")
    var service: String?

    @Option(help: "The seed of the garbage.")
    var seed: UInt64 = 1

    @Option(help: "Rounds of random garbage (each 10 ms apart).")
    var rounds = 50

    func run() throws {
        try FlexTCPStack.withAttachedStack(service: service ?? FlexTCPStack.defaultServicePath) { stack in
            let attachment = stack.attachment(for: 1)
            let endpoint = ApplicationContextEndpoint(queues: try attachment.region.queues(1), signals: attachment.region.signals(1))
            var tally = Tally()
            let flows = FlowIndex(min(attachment.flowCapacity, 256))
            for flow in 0..<flows {
                for opaque in UInt64(1)...4 {
                    submit(TransmitRequest(flow: flow, opaque: opaque, sendBytes: 4096, freeBytes: 4096), endpoint, &tally)
                }
                submit(.close(flow: flow), endpoint, &tally)
                submit(.move(flow: flow, context: 0), endpoint, &tally)
            }
            submit(TransmitRequest(flow: .max, opaque: 1, sendBytes: .max, freeBytes: .max), endpoint, &tally)
            for listener in UInt32(0)..<16 {
                submit(.accept(listener: listener, opaque: 1), endpoint, &tally)
                submit(.closeListener(listener: listener, opaque: 1), endpoint, &tally)
            }
            for _ in 0..<50 {
                drain(endpoint, &tally)
                usleep(10_000)
            }
            print("service-garbage: rejected=\(tally.rejected) refused=\(tally.refused)")
            var generator = SeededRandom(seed: seed)
            // The whole slot this process maps: its queue sets from the start, its rings up to the window's end.
            let slot = attachment.region.queueSetAddress(0)
            let length = Int(attachment.payloadWindow.upperBound) - attachment.payloadRegion.distance(to: slot)
            for _ in 0..<rounds {
                for offset in stride(from: 0, to: length - 7, by: 8) {
                    slot.storeBytes(of: generator.next(), toByteOffset: offset, as: UInt64.self)
                }
                attachment.region.service.signal()
                attachment.region.slowPathService.signal()
                usleep(10_000)
            }
        }
    }

    private struct Tally {
        var rejected = 0
        var refused = 0
    }

    private func submit(_ request: TransmitRequest, _ endpoint: ApplicationContextEndpoint, _ tally: inout Tally) {
        while !endpoint.submit(request) { wait(endpoint, &tally) }
    }

    private func submit(_ request: SlowPathRequest, _ endpoint: ApplicationContextEndpoint, _ tally: inout Tally) {
        while !endpoint.submit(request) { wait(endpoint, &tally) }
    }

    private func wait(_ endpoint: ApplicationContextEndpoint, _ tally: inout Tally) {
        endpoint.flush()
        drain(endpoint, &tally)
        _ = endpoint.wait(timeoutNanoseconds: 1_000_000)
    }

    /// Counts the errors the service sent back.
    private func drain(_ endpoint: ApplicationContextEndpoint, _ tally: inout Tally) {
        endpoint.flush()
        let entries = UnsafeMutableBufferPointer<ReceiveQueueEntry>.allocate(capacity: 64)
        let events = UnsafeMutableBufferPointer<SlowPathEvent>.allocate(capacity: 64)
        defer {
            entries.deallocate()
            events.deallocate()
        }
        while case let count = endpoint.poll(into: entries), count > 0 {
            for entry in entries.prefix(count) { if case .rejected = entry { tally.rejected += 1 } }
        }
        while case let count = endpoint.pollEvents(into: events), count > 0 {
            for event in events.prefix(count) {
                switch event {
                case .rejected: tally.rejected += 1
                case .accepted(let opened) where opened.status != .success: tally.refused += 1
                case .listenerClosed(_, _, let status) where status != .success: tally.refused += 1
                case .moved(_, _, _, let status) where status != .success: tally.refused += 1
                default: break
                }
            }
        }
    }
}
