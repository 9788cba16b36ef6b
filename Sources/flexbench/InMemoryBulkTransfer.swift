import FlexPort
import FlexTCPCore
import FlexWire

/// A bulk transfer between two FlexTCP stacks on the in-memory wire, both driven run-to-completion
/// by the calling thread (so the figure is per core for sender and receiver together). The sender
/// writes a constant buffer as fast as its transmit rings take it; the receiver reads into a scratch
/// buffer and discards. Connections close when their bytes are sent; the run ends when every
/// receiver saw end of stream, or at the deadline.
struct InMemoryBulkTransfer {
    struct Result {
        let bytesReceived: UInt64
        let nanoseconds: UInt64
        let completedConnections: Int
        var gigabitsPerSecond: Double { Double(bytesReceived) * 8 / Double(max(nanoseconds, 1)) }
    }

    let connections: Int
    let bytesPerConnection: UInt64
    let ringSize: UInt32
    let congestionControl: Bool

    func run(deadlineSeconds: Double) throws -> Result {
        let wire = try MemoryWire(capacity: 4096, maximumFrameLength: 1514)
        let sender = try Stack(port: wire.a, configuration: configuration("198.18.0.1/24"))
        let receiver = try Stack(port: wire.b, configuration: configuration("198.18.0.2/24"))
        let port: UInt16 = 5001
        try receiver.listen(port: port)
        let clock = MonotonicTimeSource()
        let start = clock.now()
        let deadline = start + UInt64(deadlineSeconds * 1e9)
        var flows: [FlowIndex] = []
        for _ in 0..<connections { flows.append(try sender.connect(to: IPv4Address(198, 18, 0, 2), port: port, now: start)) }
        var sent = [UInt64](repeating: 0, count: connections)
        // Receiving flows still open; a finished flow's index may be reused by a later accept.
        var receiving: [FlowIndex] = []
        var completed = 0
        var received: UInt64 = 0
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 64)
        defer { chunk.deallocate() }
        chunk.initializeMemory(as: UInt8.self, repeating: 0x5a)

        while completed < connections {
            let now = clock.now()
            if now > deadline { break }
            _ = sender.poll(now: now)
            _ = receiver.poll(now: now)
            while let flow = receiver.accept(port: port) { receiving.append(flow) }
            for (index, flow) in flows.enumerated() where sent[index] < bytesPerConnection && sender.phase(of: flow) == .open {
                let wanted = Int(min(UInt64(chunk.count), bytesPerConnection - sent[index]))
                sent[index] += UInt64(sender.write(to: flow, from: UnsafeRawBufferPointer(rebasing: chunk[..<wanted]), now: now))
                if sent[index] == bytesPerConnection { _ = sender.close(flow, now: now) }
            }
            receiving.removeAll { flow in
                while true {
                    let count = receiver.read(from: flow, into: chunk, now: now)
                    received += UInt64(count)
                    if count == 0 { break }
                }
                guard receiver.isEndOfStream(flow) else { return false }
                completed += 1
                _ = receiver.close(flow, now: now)
                return true
            }
        }
        return Result(bytesReceived: received, nanoseconds: clock.now() - start, completedConnections: completed)
    }

    private func configuration(_ address: String) throws -> StackConfiguration {
        var configuration = StackConfiguration(interface: try InterfaceAddress(address))
        configuration.flowCapacity = max(connections * 2, 16)
        configuration.receiveRingSize = ringSize
        configuration.transmitRingSize = ringSize
        if !congestionControl { configuration.slowPath.congestionControl = nil }
        return configuration
    }
}
