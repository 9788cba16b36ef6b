import FlexPort
import FlexTCPCore
import FlexWire

/// Embedded FlexTCP stacks on the hosts of an `EmulatedSwitch`, stepped together on one virtual
/// clock: the fabric for the congestion-control experiments (`flexbench cc`).
///
/// Contract: one thread. `step()` advances the clock by `stepNanoseconds`, forwards frames through
/// the switch, then polls every stack once. Host `i` has address 198.18.40.(i + 1)/24.
final class SwitchedHosts {
    let clock: VirtualTimeSource
    let fabric: EmulatedSwitch
    let stacks: [Stack]
    let stepNanoseconds: UInt64

    /// - Parameters:
    ///   - link: the rate, queue and marking of every link (the uplinks get the rate and delay only).
    ///   - configure: adjusts host `i`'s stack configuration (flows, rings, congestion control).
    init(hostCount: Int, link: LinkEmulatorSettings, stepNanoseconds: UInt64, mtu: Int = 1500,
         configure: (Int, inout StackConfiguration) -> Void) throws {
        let clock = VirtualTimeSource()
        self.clock = clock
        var uplink = LinkEmulatorSettings()
        uplink.rateBitsPerSecond = link.rateBitsPerSecond
        uplink.propagationDelayNanoseconds = link.propagationDelayNanoseconds
        uplink.queueLimit = 100_000
        uplink.poolCapacity = 8192
        let fabric = try EmulatedSwitch(hostCount: hostCount, maximumFrameLength: mtu + 14, timeSource: clock,
                                        uplink: { _ in uplink }, egress: { _ in link })
        self.fabric = fabric
        stacks = try (0..<hostCount).map { host in
            var configuration = StackConfiguration(interface: try InterfaceAddress(address: Self.address(ofHost: host), prefixLength: 24))
            configure(host, &configuration)
            return try Stack(port: fabric.hostPort(host), configuration: configuration)
        }
        self.stepNanoseconds = stepNanoseconds
    }

    static func address(ofHost host: Int) -> IPv4Address { IPv4Address(198, 18, 40, UInt8(host + 1)) }

    var now: UInt64 { clock.now() }

    func step() {
        clock.advance(by: stepNanoseconds)
        fabric.forward()
        let now = clock.now()
        for stack in stacks {
            _ = stack.poll(now: now)
            stack.drainEvents { _ in }
        }
    }

    /// Opens `count` connections from each of `senders` to `port` on host `receiver`; returns the
    /// senders' flows (per sender) and the receiver's accepted flows, or throws when the handshakes
    /// do not finish within a second of virtual time.
    func connect(senders: [Int], connectionsEach count: Int, to receiver: Int, port: UInt16)
        throws -> (senderFlows: [[FlowIndex]], receiverFlows: [FlowIndex]) {
        let server = stacks[receiver]
        try server.listen(port: port, backlog: senders.count * count)
        // Senders and receiver learn each other's MACs first: SYNs and SYN-ACKs waiting for ARP
        // would overflow the queue that holds them.
        let deadline = now &+ 1_000_000_000
        for sender in senders {
            for (host, peer) in [(sender, receiver), (receiver, sender)] {
                while try stacks[host].network.resolveNeighbour(for: Self.address(ofHost: peer), now: now) == .pending {
                    guard now < deadline else { throw ExperimentSetupError.handshakesStalled(accepted: 0) }
                    step()
                }
            }
        }
        var senderFlows: [[FlowIndex]] = []
        for sender in senders {
            senderFlows.append(try (0..<count).map { _ in
                try stacks[sender].connect(to: Self.address(ofHost: receiver), port: port, now: now)
            })
        }
        var accepted: [FlowIndex] = []
        while accepted.count < senders.count * count || !allOpen(senderFlows, of: senders) {
            guard now < deadline else { throw ExperimentSetupError.handshakesStalled(accepted: accepted.count) }
            step()
            while let flow = server.accept(port: port) { accepted.append(flow) }
        }
        return (senderFlows, accepted)
    }

    private func allOpen(_ flows: [[FlowIndex]], of senders: [Int]) -> Bool {
        zip(senders, flows).allSatisfy { sender, flows in flows.allSatisfy { stacks[sender].phase(of: $0) == .open } }
    }
}

/// Why an experiment could not start.
public enum ExperimentSetupError: Error, Equatable, CustomStringConvertible {
    case handshakesStalled(accepted: Int)
    /// Settings that cannot run, with what to change.
    case invalidSettings(String)

    public var description: String {
        switch self {
        case .handshakesStalled(let accepted): "the connections did not open within a second of virtual time (\(accepted) accepted)"
        case .invalidSettings(let fix): "invalid experiment settings: \(fix)"
        }
    }
}
