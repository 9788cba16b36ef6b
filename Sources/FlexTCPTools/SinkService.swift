import FlexTCPCore
import FlexWire

/// A sink on a `Stack`: reads every connection to its port to the end, hashing what arrives, then
/// closes it and reports `conn REMOTE_IP:PORT bytes=N sha256=HEX`.
///
/// Contract: call `step(now:)` after each `Stack.poll`; it never blocks. A connection that fails
/// before its end is counted in `failedConnections`, not reported.
public final class SinkService {
    private struct Stream {
        let flow: FlowIndex
        let label: String
        var bytes: UInt64 = 0
        var hash = SHA256()
    }

    public let stack: Stack
    public let port: UInt16
    private var streams: [Stream] = []
    private var reports: [StreamReport] = []
    private let scratch: UnsafeMutableRawBufferPointer
    public private(set) var failedConnections = 0

    public init(stack: Stack, port: UInt16, scratchSize: Int = 64 * 1024) throws(StackError) {
        self.stack = stack
        self.port = port
        scratch = .allocate(byteCount: scratchSize, alignment: 16)
        try stack.listen(port: port)
    }

    deinit { scratch.deallocate() }

    public func step(now: UInt64) {
        while let flow = stack.accept(port: port) {
            let remote = stack.fastPath.state(of: flow).map { "\($0.remoteAddress):\($0.remotePort)" } ?? "?"
            streams.append(Stream(flow: flow, label: remote))
        }
        var index = 0
        while index < streams.count {
            if serve(&streams[index], now: now) { streams.remove(at: index) } else { index += 1 }
        }
    }

    /// Reads what arrived; at the end of the stream closes and reports it. Returns true when done with it.
    private func serve(_ stream: inout Stream, now: UInt64) -> Bool {
        if case .failed = stack.phase(of: stream.flow) {
            failedConnections += 1
            return true
        }
        while true {
            let count = stack.read(from: stream.flow, into: scratch, now: now)
            guard count > 0 else { break }
            stream.hash.update(UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
            stream.bytes &+= UInt64(count)
        }
        guard stack.isEndOfStream(stream.flow) else { return false }
        stack.close(stream.flow, now: now)
        reports.append(StreamReport(label: stream.label, bytes: stream.bytes, sha256: stream.hash.hexDigest()))
        return true
    }

    /// Hands every stream finished since the last call to `body`, in order, and forgets them.
    public func drainReports(_ body: (StreamReport) -> Void) {
        let drained = reports
        reports.removeAll(keepingCapacity: true)
        for report in drained { body(report) }
    }
}
