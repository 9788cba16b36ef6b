import FlexPort
import FlexTCPCore
import FlexWire

/// Two embedded stacks on the in-memory wire, on virtual time, holding `count` established
/// connections from client to server that carry nothing: the setting in which `flexbench
/// idle-connections` and the idle-connection tests measure what the slow path's `advance` costs.
///
/// Contract: `init` completes every handshake (real SYN, SYN-ACK, ACK through both stacks) or
/// throws; afterwards the caller drives time with `run(for:)` and may time `advance` on either
/// stack. Addresses are in 198.18.62.0/24 (a subnet no other test or benchmark uses); the client
/// spreads its connections over `serverPortCount(for:)` listening ports because one server port
/// admits one connection per client ephemeral port.
public final class IdleConnectionPair {
    public static let clientAddress = IPv4Address(198, 18, 62, 1)
    public static let serverAddress = IPv4Address(198, 18, 62, 2)
    public static let firstServerPort: UInt16 = 6000
    /// Bytes of each ring: small, so that 100,000 connections fit in a modest payload region.
    public static let ringSize: UInt32 = 1024
    /// Connections whose handshakes run at once.
    static let handshakeBatch = 512

    public let clock = VirtualTimeSource(start: 1_000_000_000)
    package let client: Stack
    package let server: Stack
    /// The client's flow of each connection, in the order they were opened.
    package private(set) var clientFlows: [FlowIndex] = []
    /// Listening ports of the server, from `firstServerPort` on.
    let serverPorts: Int
    /// Time per poll round while handshaking and in `run(for:)`.
    public static let pollStep: UInt64 = 10_000

    /// Opens `count` connections; `adjust` changes both stacks' configuration (timers, congestion control).
    package init(connections count: Int, adjust: (inout StackConfiguration) -> Void = { _ in }) throws {
        let wire = try MemoryWire(capacity: 4 * Self.handshakeBatch, maximumFrameLength: 1514)
        client = try Stack(port: wire.a, configuration: Self.configuration(address: Self.clientAddress, count: count, adjust: adjust))
        server = try Stack(port: wire.b, configuration: Self.configuration(address: Self.serverAddress, count: count, adjust: adjust))
        serverPorts = Self.serverPortCount(for: count)
        for offset in 0..<serverPorts { try server.listen(port: Self.firstServerPort + UInt16(offset)) }
        clientFlows.reserveCapacity(count)
        // The client learns the server's MAC first: SYNs waiting for ARP would overflow its queue.
        _ = try client.network.resolveNeighbour(for: Self.serverAddress, now: clock.now())
        for _ in 0..<10 { pollBoth() }
        while clientFlows.count < count {
            let batch = min(Self.handshakeBatch, count - clientFlows.count)
            var opening: [FlowIndex] = []
            for index in clientFlows.count..<clientFlows.count + batch {
                let port = Self.firstServerPort + UInt16(index % serverPorts)
                opening.append(try client.connect(to: Self.serverAddress, port: port, now: clock.now()))
            }
            var rounds = 0
            while !opening.allSatisfy({ client.phase(of: $0) == .open }) {
                rounds += 1
                guard rounds < 100_000 else { throw IdleConnectionSetupError.handshakesStalled(established: clientFlows.count) }
                pollBoth()
            }
            clientFlows += opening
        }
    }

    /// Both stacks' configuration for `count` connections.
    static func configuration(address: IPv4Address, count: Int,
                              adjust: (inout StackConfiguration) -> Void) throws -> StackConfiguration {
        var configuration = StackConfiguration(interface: try InterfaceAddress(address: address, prefixLength: 24))
        configuration.flowCapacity = count + 16
        configuration.backlog = handshakeBatch
        configuration.slowPath.synQueueCapacity = handshakeBatch
        configuration.receiveRingSize = ringSize
        configuration.transmitRingSize = ringSize
        adjust(&configuration)
        return configuration
    }

    /// Listening ports needed for `count` connections from one client address.
    public static func serverPortCount(for count: Int) -> Int {
        let ephemeralPorts = Int(SlowPathConfiguration().ephemeralPorts.count)
        return max(1, (count + ephemeralPorts - 1) / ephemeralPorts)
    }

    /// One poll of each stack at the next virtual step; the server accepts what completed.
    public func pollBoth() {
        clock.advance(by: Self.pollStep)
        client.poll(now: clock.now())
        server.poll(now: clock.now())
        for offset in 0..<serverPorts {
            while server.accept(port: Self.firstServerPort + UInt16(offset)) != nil {}
        }
        client.drainEvents { _ in }
        server.drainEvents { _ in }
    }

    /// Polls both stacks for `duration` ns of virtual time.
    public func run(for duration: UInt64) {
        let end = clock.now() &+ duration
        while clock.now() < end { pollBoth() }
    }
}

/// Why `IdleConnectionPair` could not open its connections.
public enum IdleConnectionSetupError: Error, Equatable {
    case handshakesStalled(established: Int)
}
