import FlexTCPCore
import FlexWire

/// Flows of given sizes carried over pools of open connections on `SwitchedHosts`, each flow's
/// completion time taken when its last byte is read at the receiver: the traffic of
/// `IntervalExperiment`.
///
/// Contract: `start(_:host:now:)` gives a flow to an idle connection of its sender host, or queues
/// it there until one is idle (a connection takes its next flow once the receiver has read every
/// byte of its previous one); `pump()` after each step writes what the busy connections take,
/// reads what the receiver holds and checks it against `StreamPattern` (each connection one
/// stream). `completions` holds (flow id, bytes, completion time) in order of completion.
final class FlowCompletionStreams {
    /// One sender connection and its receiver end.
    private struct Connection {
        let host: Int
        let flow: FlowIndex
        let receiverFlow: FlowIndex
        /// Stream offsets: bytes written, the end of the current flow, bytes read at the receiver.
        var written: UInt64 = 0
        var flowEnd: UInt64 = 0
        var read: UInt64 = 0
        /// The current flow (nil: idle).
        var current: (id: Int, bytes: Int, arrival: UInt64)?
    }

    struct Completion {
        let id: Int
        let bytes: Int
        let nanoseconds: UInt64
    }

    private let hosts: SwitchedHosts
    private let receiver: Int
    private var connections: [Connection]
    /// Per sender host: its idle connections and its flows waiting for one.
    private var idle: [Int: [Int]] = [:]
    private var waiting: [Int: [(id: Int, bytes: Int, arrival: UInt64)]] = [:]
    /// Per connection: whether it carries a flow (an array, not a set: the order of work must not depend on hashing).
    private var busy: [Bool]
    private var busyCount = 0
    private(set) var completions: [Completion] = []
    private(set) var corruptions = 0
    /// Flows that waited for an idle connection.
    private(set) var queuedFlows = 0
    private let pattern: StreamPattern
    private let buffer: UnsafeMutableRawBufferPointer

    /// Pairs each sender flow with the receiver flow whose peer port it is.
    init(hosts: SwitchedHosts, senders: [(host: Int, flow: FlowIndex)], receiver: Int, receiverFlows: [FlowIndex], seed: UInt64) throws {
        self.hosts = hosts
        self.receiver = receiver
        var byPeer: [PeerKey: FlowIndex] = [:]
        for flow in receiverFlows {
            guard let state = hosts.stacks[receiver].fastPath.state(of: flow) else { continue }
            byPeer[PeerKey(address: state.remoteAddress, port: state.remotePort)] = flow
        }
        connections = try senders.map { sender in
            guard let state = hosts.stacks[sender.host].fastPath.state(of: sender.flow),
                  let receiverFlow = byPeer[PeerKey(address: SwitchedHosts.address(ofHost: sender.host), port: state.localPort)] else {
                throw ExperimentSetupError.handshakesStalled(accepted: receiverFlows.count)
            }
            return Connection(host: sender.host, flow: sender.flow, receiverFlow: receiverFlow)
        }
        busy = Array(repeating: false, count: connections.count)
        for (index, connection) in connections.enumerated() { idle[connection.host, default: []].append(index) }
        for index in idle.keys { idle[index]!.reverse() }
        pattern = StreamPattern(seed: seed)
        buffer = .allocate(byteCount: 65_536, alignment: 64)
    }

    deinit { buffer.deallocate() }

    private struct PeerKey: Hashable {
        let address: IPv4Address
        let port: UInt16
    }

    /// Flows started and not yet complete (waiting ones included).
    var flowsInProgress: Int { busyCount + waiting.values.reduce(0) { $0 + $1.count } }

    func start(id: Int, bytes: Int, host: Int, now: UInt64) {
        let flow = (id: id, bytes: bytes, arrival: now)
        guard let index = idle[host]?.popLast() else {
            waiting[host, default: []].append(flow)
            queuedFlows += 1
            return
        }
        assign(flow, to: index)
    }

    private func assign(_ flow: (id: Int, bytes: Int, arrival: UInt64), to index: Int) {
        connections[index].current = flow
        connections[index].flowEnd = connections[index].written &+ UInt64(flow.bytes)
        busy[index] = true
        busyCount += 1
    }

    func pump() {
        let now = hosts.now
        for index in busy.indices where busy[index] {
            write(index, now: now)
            read(index, now: now)
        }
    }

    private func write(_ index: Int, now: UInt64) {
        let stack = hosts.stacks[connections[index].host]
        while connections[index].written < connections[index].flowEnd {
            let offset = connections[index].written
            let count = Int(min(65_536, connections[index].flowEnd &- offset))
            let written = pattern.withBytes(at: offset) { bytes in
                stack.write(to: connections[index].flow, from: UnsafeRawBufferPointer(rebasing: bytes[..<count]), now: now)
            }
            guard written > 0 else { return }
            connections[index].written &+= UInt64(written)
        }
    }

    private func read(_ index: Int, now: UInt64) {
        let stack = hosts.stacks[receiver]
        while true {
            let count = stack.read(from: connections[index].receiverFlow, into: buffer, now: now)
            guard count > 0 else { break }
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[..<count])
            if !pattern.matches(bytes, at: connections[index].read) { corruptions += 1 }
            connections[index].read &+= UInt64(count)
        }
        guard connections[index].read >= connections[index].flowEnd, let flow = connections[index].current else { return }
        completions.append(Completion(id: flow.id, bytes: flow.bytes, nanoseconds: now &- flow.arrival))
        connections[index].current = nil
        busy[index] = false
        busyCount -= 1
        let host = connections[index].host
        if let next = waiting[host]?.first {
            waiting[host]!.removeFirst()
            assign(next, to: index)
        } else {
            idle[host, default: []].append(index)
        }
    }
}
