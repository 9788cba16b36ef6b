@testable import FlexNVMe
import FlexTestHosts
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A TCP relay in a test namespace, between an NVMe/TCP host and a target, that corrupts one data
/// byte of a chosen PDU type when armed (`PDUStreamCorrupter`): digest corruption injected on this
/// side of a connection with Linux, whichever side Linux plays.
///
/// Contract: listens on every address at `port` from `init`; each accepted connection is joined to a
/// new connection to `upstream`. Served on a thread of its own until `stop()`.
final class CorruptingRelay: Sendable {
    /// Which way the corrupted PDU travels.
    enum Direction: Sendable { case towardsUpstream, fromUpstream }

    let port: UInt16
    private let listener: Int32
    private let upstreamAddress: String
    private let upstreamPort: UInt16
    private let armed = Mutex<(towards: UInt8?, from: UInt8?)>((nil, nil))
    private let corruptionCount = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)

    /// Listens on `port` in `namespace` and relays to `upstreamAddress`:`upstreamPort` from there.
    init(in namespace: TestNamespace, port: UInt16, upstreamAddress: String, upstreamPort: UInt16) throws {
        listener = try namespace.perform { try SocketSetup.listen(port: port) }
        self.port = port
        self.upstreamAddress = upstreamAddress
        self.upstreamPort = upstreamPort
        let thread = Thread { [self] in
            try? namespace.perform { serve() }
            finished.store(true, ordering: .releasing)
        }
        thread.start()
    }

    /// Corrupts the next PDU of `type` travelling in `direction` (on any connection).
    func arm(_ type: UInt8, _ direction: Direction) {
        armed.withLock { armed in
            if direction == .towardsUpstream { armed.towards = type } else { armed.from = type }
        }
    }

    /// PDUs corrupted so far.
    var corruptions: Int { corruptionCount.load(ordering: .relaxed) }

    /// Stops relaying, closes every connection, waits for the thread.
    func stop() {
        stopping.store(true, ordering: .relaxed)
        while !finished.load(ordering: .acquiring) { usleep(1000) }
    }

    /// One relayed connection: the accepted socket, its upstream socket and a corrupter per direction.
    private final class Pair {
        let downstream: Int32
        let upstream: Int32
        var towards = PDUStreamCorrupter()
        var from = PDUStreamCorrupter()
        init(downstream: Int32, upstream: Int32) {
            self.downstream = downstream
            self.upstream = upstream
        }
    }

    private func serve() {
        var pairs: [Pair] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 8)
        defer {
            buffer.deallocate()
            for pair in pairs { close(pair.downstream); close(pair.upstream) }
            close(listener)
        }
        while !stopping.load(ordering: .relaxed) {
            var watched = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            for pair in pairs {
                watched.append(pollfd(fd: pair.downstream, events: Int16(POLLIN), revents: 0))
                watched.append(pollfd(fd: pair.upstream, events: Int16(POLLIN), revents: 0))
            }
            guard poll(&watched, nfds_t(watched.count), 20) > 0 else { continue }
            var ended: Set<ObjectIdentifier> = []
            for (index, pair) in pairs.enumerated() {
                for side in 0..<2 where watched[1 + 2 * index + side].revents != 0 {
                    if !forward(pair, fromDownstream: side == 0, buffer) { ended.insert(ObjectIdentifier(pair)) }
                }
            }
            for pair in pairs where ended.contains(ObjectIdentifier(pair)) {
                close(pair.downstream)
                close(pair.upstream)
            }
            pairs.removeAll { ended.contains(ObjectIdentifier($0)) }
            if watched[0].revents != 0, let pair = acceptPair() { pairs.append(pair) }
        }
    }

    private func acceptPair() -> Pair? {
        let downstream = accept(listener, nil, nil)
        guard downstream >= 0 else { return nil }
        guard let upstream = try? SocketSetup.connect(to: upstreamAddress, port: upstreamPort) else {
            close(downstream)
            return nil
        }
        _ = fcntl(upstream, F_SETFL, fcntl(upstream, F_GETFL) & ~O_NONBLOCK)
        return Pair(downstream: downstream, upstream: upstream)
    }

    /// Moves what one side has to the other (corrupting when armed); false once that side closed.
    private func forward(_ pair: Pair, fromDownstream: Bool, _ buffer: UnsafeMutableRawBufferPointer) -> Bool {
        let source = fromDownstream ? pair.downstream : pair.upstream
        let destination = fromDownstream ? pair.upstream : pair.downstream
        let count = recv(source, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
        if count < 0 && (errno == EAGAIN || errno == EINTR) { return true }
        guard count > 0 else { return false }
        let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<count])
        let corrupted = armed.withLock { armed in
            fromDownstream ? pair.towards.pass(chunk, armedType: &armed.towards) : pair.from.pass(chunk, armedType: &armed.from)
        }
        if corrupted { corruptionCount.add(1, ordering: .relaxed) }
        var sent = 0
        while sent < count {
            let written = send(destination, chunk.baseAddress! + sent, count - sent, Int32(MSG_NOSIGNAL))
            guard written > 0 else { return false }
            sent += written
        }
        return true
    }
}
