import FlexNVMe
import FlexTCPTools
import FlexTCP
import Foundation
import Testing

/// Seeded bytes for a test: the same seed always gives the same bytes.
func seededBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var stream = SeededByteStream(seed: seed)
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { stream.fill($0) }
    return bytes
}

/// A target on kernel sockets (moving bytes as `options` say) serving on a loopback port with two threads of
/// its own, for the body's duration.
func withLinuxTarget<Result>(namespace: any NamespaceStorage = MemoryNamespace(byteCount: 16 << 20), nqn: String = "nqn.2026-12.org.flextcp:test",
                             options: SocketTransportOptions = SocketTransportOptions(),
                             _ body: (LinuxTargetServer) throws -> Result) throws -> Result {
    let target = NVMeTarget(configuration: TargetConfiguration(subsystemNQN: nqn, port: 0), namespace: namespace)
    let server = try LinuxTargetServer(target: target, threads: 2, options: options)
    let thread = Thread { server.run() }
    thread.start()
    defer {
        server.stop()
        while !thread.isFinished { usleep(1000) }
    }
    return try body(server)
}

/// SHA-256 of `bytes`, hex.
func sha256(_ bytes: UnsafeRawBufferPointer) -> String {
    var hash = SHA256()
    hash.update(bytes)
    return hash.hexDigest()
}

/// Writes `byteCount` seeded bytes from byte `start` (a whole number of blocks) in I/Os of 4 KiB (in capsule),
/// 64 KiB and 128 KiB (R2T/H2CData) spread over the host's queues, reads them back the same way, and returns
/// the SHA-256 of what was written and of what was read, with every status.
func writeAndReadBack(_ host: NVMeHost, byteCount: Int, seed: UInt64, start: Int = 0) throws -> (written: String, read: String, statuses: [NVMeStatus]) {
    let source = UnsafeMutableRawBufferPointer.allocate(byteCount: byteCount, alignment: 4096)
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: byteCount, alignment: 4096)
    defer { source.deallocate(); copy.deallocate() }
    var stream = SeededByteStream(seed: seed)
    stream.fill(source)
    copy.initializeMemory(as: UInt8.self, repeating: 0xEE)
    let sizes = [4096, 65536, 131072, 8192]
    var pieces: [Range<Int>] = []
    var offset = 0
    while offset < byteCount {
        let size = min(sizes[pieces.count % sizes.count], byteCount - offset)
        pieces.append(offset..<(offset + size))
        offset += size
    }
    let writes = pieces.map { BlockIO(.write, lba: UInt64((start + $0.lowerBound) / host.blockSize), buffer: UnsafeMutableRawBufferPointer(rebasing: source[$0])) }
    let reads = pieces.map { BlockIO(.read, lba: UInt64((start + $0.lowerBound) / host.blockSize), buffer: UnsafeMutableRawBufferPointer(rebasing: copy[$0])) }
    let statuses = try host.run(writes) + host.run(reads)
    return (sha256(UnsafeRawBufferPointer(source)), sha256(UnsafeRawBufferPointer(copy)), statuses)
}

/// A target on FlexTCP (198.18.0.2) and a host-side stack (198.18.0.1) joined by an in-memory wire;
/// both application-driven: the target serves (and runs its stack) on a thread of its own for the body's duration;
/// the body gets the host's transport, whose stack the body's thread runs.
func withFlexTCPTarget<Result>(namespace: any NamespaceStorage = MemoryNamespace(byteCount: 16 << 20), nqn: String = "nqn.2026-12.org.flextcp:test",
                               _ body: (NVMeTarget, FlexTCPHostTransport) throws -> Result) throws -> Result {
    let wire = try InMemoryWire()
    var targetConfiguration = FlexTCPStack.Configuration(address: "198.18.0.2/24")
    targetConfiguration.receiveBufferSize = 512 * 1024
    targetConfiguration.sendBufferSize = 512 * 1024
    var hostConfiguration = FlexTCPStack.Configuration(address: "198.18.0.1/24")
    hostConfiguration.receiveBufferSize = 512 * 1024
    hostConfiguration.sendBufferSize = 512 * 1024
    targetConfiguration.threading = .applicationDriven
    hostConfiguration.threading = .applicationDriven
    return try FlexTCPStack.withStack(on: wire.second, configuration: targetConfiguration) { targetStack in
        let target = NVMeTarget(configuration: TargetConfiguration(subsystemNQN: nqn, port: 4420), namespace: namespace)
        let server = FlexTCPTargetServer(target: target, context: try targetStack.makeContext(), localAddress: "198.18.0.2", driving: targetStack)
        let ringSize = targetConfiguration.receiveBufferSize
        let thread = Thread { try? server.run(receiveBufferSize: ringSize) }
        thread.start()
        defer {
            server.stop()
            while !thread.isFinished { usleep(1000) }
        }
        return try FlexTCPStack.withStack(on: wire.first, configuration: hostConfiguration) { hostStack in
            let transport = FlexTCPHostTransport(context: try hostStack.makeContext(), address: targetStack.address, port: 4420,
                                                 driving: hostStack)
            return try body(target, transport)
        }
    }
}

/// What `withinDeadline`'s thread hands back (written by the thread, read after `done` is signalled).
private final class DeadlineOutcome<Value>: @unchecked Sendable {
    var result: Result<Value, any Error>?
    let done = DispatchSemaphore(value: 0)
}

/// Runs `body` on a thread of its own and returns its value, rethrowing its error; if it has not finished
/// after `seconds`, records an issue ("hang") and returns nil, leaving the thread behind: a regression that
/// hangs fails the test instead of the run. Assertions belong to the caller, on what `body` returned.
func withinDeadline<Value>(seconds: Double, sourceLocation: SourceLocation = #_sourceLocation,
                           _ body: @escaping () throws -> Value) throws -> Value? {
    let outcome = DeadlineOutcome<Value>()
    let work = UncheckedSendable(body)
    Thread {
        outcome.result = Result { try work.value() }
        outcome.done.signal()
    }.start()
    guard outcome.done.wait(timeout: .now() + seconds) == .success else {
        Issue.record("did not finish within \(seconds) s (hang)", sourceLocation: sourceLocation)
        return nil
    }
    return try outcome.result!.get()
}

/// A value carried to another thread whose use is serialized by other means.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Where `actual` first differs from `expected` ("lengths …" or "byte N: x, expected y"), nil when they are equal.
/// Compare large byte arrays with `#expect(firstDifference(a, b) == nil)`, never `#expect(a == b)`: on failure
/// Swift Testing describes `==` on collections by diffing them, which for arrays of a megabyte that differ
/// throughout runs for many minutes at full CPU (a failing test then looks like a hang of the code under test).
func firstDifference<Bytes: Collection, Expected: Collection>(_ actual: Bytes, _ expected: Expected) -> String?
    where Bytes.Element == UInt8, Expected.Element == UInt8 {
    for (index, pair) in zip(actual, expected).enumerated() where pair.0 != pair.1 {
        return "byte \(index): \(pair.0), expected \(pair.1)"
    }
    return actual.count == expected.count ? nil : "lengths \(actual.count), expected \(expected.count)"
}
