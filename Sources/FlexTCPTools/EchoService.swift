import FlexTCPCore
import FlexWire

/// An echo server on a `Stack`: every connection to its port gets back each byte it sends; when
/// the peer closes and everything is echoed, the connection is closed. Any number of connections.
///
/// Contract: call `step(now:)` after each `Stack.poll`; it never blocks, and per step copies at
/// most one scratch buffer per connection. Connections that fail are forgotten.
public final class EchoService {
    public let stack: Stack
    public let port: UInt16
    private var flows: [FlowIndex] = []
    private let scratch: UnsafeMutableRawBufferPointer
    public private(set) var bytesEchoed: UInt64 = 0
    public private(set) var connectionsServed = 0

    public init(stack: Stack, port: UInt16, scratchSize: Int = 64 * 1024) throws(StackError) {
        self.stack = stack
        self.port = port
        scratch = .allocate(byteCount: scratchSize, alignment: 16)
        try stack.listen(port: port)
    }

    deinit { scratch.deallocate() }

    /// Connections currently being served.
    public var activeConnections: Int { flows.count }

    public func step(now: UInt64) {
        while let flow = stack.accept(port: port) { flows.append(flow) }
        flows.removeAll { flow in
            if case .failed = stack.phase(of: flow) { return true }
            let count = min(stack.readableBytes(on: flow), stack.writableBytes(on: flow), scratch.count)
            if count > 0 {
                let slice = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<count])
                _ = stack.read(from: flow, into: slice, now: now)
                _ = stack.write(to: flow, from: UnsafeRawBufferPointer(slice), now: now)
                bytesEchoed &+= UInt64(count)
            }
            guard stack.isEndOfStream(flow) else { return false }
            stack.close(flow, now: now)
            connectionsServed += 1
            return true
        }
    }
}
