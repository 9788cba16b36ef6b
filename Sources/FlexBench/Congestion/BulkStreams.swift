import FlexTCPCore

/// Streams that senders keep full and a receiver reads and checks, on `SwitchedHosts`: the traffic
/// of the congestion-control experiments.
///
/// Contract: `pump()` after each step writes as much as each sender flow takes and reads everything
/// the receiver holds, checking it against `StreamPattern`; `delivered[i]` counts the checked bytes
/// of receiver flow `i`, `corruptions` the reads that did not match.
final class BulkStreams {
    let hosts: SwitchedHosts
    let senders: [(host: Int, flow: FlowIndex)]
    let receiver: Int
    let receiverFlows: [FlowIndex]
    private(set) var delivered: [UInt64]
    private(set) var corruptions = 0
    private var sent: [UInt64]
    private let pattern: StreamPattern
    private let buffer: UnsafeMutableRawBufferPointer

    init(hosts: SwitchedHosts, senders: [(host: Int, flow: FlowIndex)], receiver: Int, receiverFlows: [FlowIndex], seed: UInt64) {
        self.hosts = hosts
        self.senders = senders
        self.receiver = receiver
        self.receiverFlows = receiverFlows
        delivered = Array(repeating: 0, count: receiverFlows.count)
        sent = Array(repeating: 0, count: senders.count)
        pattern = StreamPattern(seed: seed)
        buffer = .allocate(byteCount: 65_536, alignment: 64)
    }

    deinit { buffer.deallocate() }

    func pump() {
        let now = hosts.now
        for (index, sender) in senders.enumerated() {
            let stack = hosts.stacks[sender.host]
            while stack.writableBytes(on: sender.flow) > 0 {
                let written = pattern.withBytes(at: sent[index]) { bytes in
                    stack.write(to: sender.flow, from: UnsafeRawBufferPointer(rebasing: bytes[..<65_536]), now: now)
                }
                guard written > 0 else { break }
                sent[index] &+= UInt64(written)
            }
        }
        let stack = hosts.stacks[receiver]
        for (index, flow) in receiverFlows.enumerated() {
            while true {
                let count = stack.read(from: flow, into: buffer, now: now)
                guard count > 0 else { break }
                if !pattern.matches(UnsafeRawBufferPointer(rebasing: buffer[..<count]), at: delivered[index]) { corruptions += 1 }
                delivered[index] &+= UInt64(count)
            }
        }
    }
}
