import CFlexShim
import FlexPort
import FlexTCPCore
import FlexWire
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An application's attachment to a flextcpd (`AttachProtocol`): the UNIX socket it keeps open
/// while attached, its own slot of the service's memory mapped (its contexts' queue sets and its
/// payload rings, nothing of any other application), and the eventfds the service passed.
///
/// Contract: `init` attaches or throws `StackSetupError` saying why. The contexts of
/// `attachment(for:)` are valid while the session lives. `startWatching` starts a thread that
/// calls its handler once if the service hangs up (shutdown or crash) first. `close()` hangs up,
/// which the service takes as this application leaving (it resets the application's connections
/// and closes its listeners), and joins that thread.
final class ServiceSession: @unchecked Sendable {
    // Sendable: every field is immutable after init except the socket, which only `close` (once,
    // under the stack's lock) changes; the mapped bytes are shared under the queue protocols.
    let reply: AttachReply
    let region: ContextRegion
    private let slot: MappedSlot
    /// The attach socket (the POSIX sockets library closes its copy in a forked child).
    let socket: Int32
    /// Written by `close` so that `waitForHangUp` returns (an eventfd).
    private let closing: WakeupSignal
    private let watcher = Mutex<JoinableThread?>(nil)

    init(path: String) throws(StackSetupError) {
        let socket = flexshim_unix_connect(path)
        guard socket >= 0 else {
            throw .portUnavailable("cannot connect to flextcpd at \(path): \(String(cString: strerror(errno))) (is flextcpd running? see --service)")
        }
        var attached = false
        defer { if !attached { Glibc.close(socket) } }
        let hello = AttachProtocol.hello
        guard hello.withUnsafeBytes({ flexshim_send_with_descriptors(socket, $0.baseAddress, $0.count, nil, 0) }) == hello.count else {
            throw .portUnavailable("cannot send the attach request to \(path): \(String(cString: strerror(errno)))")
        }
        var readable = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        guard poll(&readable, 1, Self.replyTimeoutMilliseconds) == 1 else {
            throw .portUnavailable("flextcpd at \(path) did not answer the attach request within \(Self.replyTimeoutMilliseconds / 1000) s")
        }
        var bytes = [UInt8](repeating: 0, count: 256)
        var descriptors = [Int32](repeating: -1, count: 64)
        var descriptorCount: Int32 = 0
        let received = bytes.withUnsafeMutableBytes { buffer in
            descriptors.withUnsafeMutableBufferPointer {
                flexshim_receive_with_descriptors(socket, buffer.baseAddress, buffer.count, $0.baseAddress, Int32($0.count), &descriptorCount)
            }
        }
        var passed = Array(descriptors.prefix(Int(descriptorCount)))
        defer { for descriptor in passed { Glibc.close(descriptor) } }
        guard received > 0, let reply = AttachReply(decoding: Array(bytes.prefix(received))) else {
            throw .portUnavailable("flextcpd at \(path) sent no valid attach reply")
        }
        guard reply.status == .attached else { throw .resourcesUnavailable("flextcpd at \(path) refused to attach: \(reply.status)") }
        guard let groupStride = Self.groupStride(of: reply, descriptorCount: passed.count) else {
            throw .portUnavailable("flextcpd at \(path) sent an attach reply this library cannot use")
        }
        do {
            slot = try MappedSlot(descriptor: passed.removeFirst(), length: reply.slotLength)
        } catch {
            throw .resourcesUnavailable(error.description)
        }
        let fastPath = WakeupSignal(adopting: passed.removeFirst())
        let slowPath = WakeupSignal(adopting: passed.removeFirst())
        let applicationSignals = passed.map { WakeupSignal(adopting: $0) }
        passed.removeAll()
        do {
            self.region = try ContextRegion(placing: slot.base, count: reply.contextsPerApplication, stride: reply.queueStride,
                                            contextsPerGroup: reply.contextsPerApplication, groupStride: groupStride,
                                            capacities: reply.capacities, applicationSignals: applicationSignals, service: fastPath,
                                            slowPathService: slowPath, formats: false)
            closing = try WakeupSignal()
        } catch {
            throw .resourcesUnavailable(String(describing: error))
        }
        self.reply = reply
        self.socket = socket
        attached = true
    }

    /// The bytes of the slot the context queue sets take, once the reply's shape is checked (before
    /// anything is mapped): the queue sets fit the slot, the payload window lies in it after them,
    /// one eventfd per context came. Nil for a reply this library cannot use.
    private static func groupStride(of reply: AttachReply, descriptorCount: Int) -> Int? {
        let contexts = reply.contextsPerApplication
        guard (1...64).contains(contexts), descriptorCount == AttachProtocol.leadingDescriptors + contexts,
              (reply.application + 1) * contexts <= Int(UInt16.max) + 1,
              let size = ContextQueues.regionSize(for: reply.capacities), reply.queueStride >= size,
              contexts * reply.queueStride <= reply.slotLength, reply.flowCapacity > 0,
              reply.payloadWindow.lowerBound >= UInt64(reply.slotOffset) + UInt64(contexts * reply.queueStride),
              reply.payloadWindow.upperBound <= UInt64(reply.slotOffset) + UInt64(reply.slotLength) else { return nil }
        return contexts * reply.queueStride
    }

    /// How long `init` waits for the service's reply.
    private static let replyTimeoutMilliseconds: Int32 = 10_000

    /// The service's IPv4 address.
    var address: IPv4Address { IPv4Address(reply.address) }

    /// Context `index` (0 ..< `reply.contextsPerApplication`) of this application.
    func attachment(for index: Int) -> ContextAttachment {
        // The address payload offset 0 would have in this process: the fast path's offsets name
        // the whole service range, of which this process maps only its own slot.
        let origin = UnsafeMutableRawPointer(bitPattern: UInt(bitPattern: slot.base) &- UInt(reply.slotOffset))!
        let runtimeContext = UInt16(truncatingIfNeeded: reply.application * reply.contextsPerApplication + index)
        return ContextAttachment(region: region, index: index, runtimeContext: runtimeContext, payloadRegion: origin,
                                 payloadRegionSize: Int(reply.payloadWindow.upperBound),
                                 payloadWindow: reply.payloadWindow, flowCapacity: reply.flowCapacity, owner: self)
    }

    /// Starts the thread that calls `onServiceHangUp` if the service hangs up before `close()`.
    func startWatching(_ onServiceHangUp: @escaping @Sendable () -> Void) throws(StackSetupError) {
        do {
            let thread = try JoinableThread { [self] in
                if waitForHangUp() { onServiceHangUp() }
            }
            watcher.withLock { $0 = thread }
        } catch {
            close()
            throw .resourcesUnavailable("cannot start the thread that watches the service: \(error.code)")
        }
    }

    /// Blocks until the service hangs up (or says goodbye) or `close()` is called; true if the service ended it.
    private func waitForHangUp() -> Bool {
        var descriptors = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0), pollfd(fd: closing.fileDescriptor, events: Int16(POLLIN), revents: 0)]
        while true {
            guard poll(&descriptors, 2, -1) >= 0 || errno == EINTR else { return false }
            if descriptors[1].revents != 0 { return false }
            if descriptors[0].revents != 0 { return true }
        }
    }

    /// Hangs up: the service resets this application's connections and closes its listeners.
    func close() {
        closing.signal()
        shutdown(socket, Int32(SHUT_RDWR))
        watcher.withLock { $0.take() }?.join()
    }

    deinit { Glibc.close(socket) }
}
