import FlexNVMe
import FlexTCP
import Foundation

/// A target in the benchmark's own process: kernel sockets on loopback (epoll or io_uring, as the
/// host; zero-copy sends counted and reported), or FlexTCP across an
/// in-memory wire (198.18.0.2 serving, 198.18.0.1 the host), served by a thread of its own (which
/// runs the target's application-driven stack; the host's thread runs the host's) or, `oneThread`
/// (FlexTCP only), by the host's thread between its own rounds: both sides' CPU on one core.
enum SelfTarget {
    /// Starts the target, connects a host to it, runs `body`, and stops both.
    static func withHost<Result>(target: NVMeTarget, options: HostOptions, transport: TransportOptions, oneThread: Bool,
                                 _ body: (NVMeHost) throws -> Result) throws -> Result {
        if let socketOptions = transport.socketOptions {
            let server = try LinuxTargetServer(target: target, options: socketOptions)
            let hostTransport = LinuxHostTransport(address: "127.0.0.1", port: server.port, options: socketOptions)
            // Reported once both sides closed their connections (every completion is in).
            defer { reportZeroCopy(socketOptions, host: hostTransport.zeroCopy, target: server.zeroCopy) }
            let thread = Thread { server.run() }
            thread.start()
            defer { stopAndJoin(thread, server.stop) }
            let host = try NVMeHost(transport: hostTransport, options: options)
            defer { host.disconnect() }
            return try body(host)
        } else {
            let wire = try InMemoryWire()
            let ringSize = transport.ringSize
            return try FlexTCPStack.withStack(on: wire.second, configuration: transport.stackConfiguration("198.18.0.2/24")) { served in
                if oneThread {
                    let service = FlexTCPTargetService(target: target, context: try served.makeContext(), localAddress: "198.18.0.2",
                                                       receiveBufferSize: ringSize, driving: served)
                    defer { service.closeAll() }
                    return try FlexTCPStack.withStack(on: wire.first, configuration: transport.stackConfiguration("198.18.0.1/24")) { client in
                        let hostTransport = FlexTCPHostTransport(context: try client.makeContext(), address: served.address,
                                                                 port: target.configuration.port, driving: client)
                        hostTransport.sharedThreadWork = service.step
                        let host = try NVMeHost(transport: hostTransport, options: options)
                        defer { host.disconnect() }
                        return try body(host)
                    }
                }
                let server = FlexTCPTargetServer(target: target, context: try served.makeContext(), localAddress: "198.18.0.2", driving: served)
                let thread = Thread { try? server.run(receiveBufferSize: ringSize) }
                thread.start()
                defer { stopAndJoin(thread, server.stop) }
                return try FlexTCPStack.withStack(on: wire.first, configuration: transport.stackConfiguration("198.18.0.1/24")) { client in
                    let hostTransport = FlexTCPHostTransport(context: try client.makeContext(), address: served.address,
                                                             port: target.configuration.port, driving: client)
                    let host = try NVMeHost(transport: hostTransport, options: options)
                    defer { host.disconnect() }
                    return try body(host)
                }
            }
        }
    }

    /// With zero-copy sends: how many each side made and how many the kernel copied after all.
    private static func reportZeroCopy(_ options: SocketTransportOptions, host: ZeroCopyCounters, target: ZeroCopyCounters) {
        guard options.zeroCopySends else { return }
        for (side, counters) in [("host", host), ("target", target)] {
            print("\(side) MSG_ZEROCOPY sends: \(counters.sends), completed \(counters.completed), copied by the kernel \(counters.copied), "
                  + "copied for want of option memory \(counters.fallbacks), sockets refusing SO_ZEROCOPY \(counters.refused)")
        }
    }

    private static func stopAndJoin(_ thread: Thread, _ stop: () -> Void) {
        stop()
        while !thread.isFinished { usleep(1000) }
    }
}
