import CFlexShim
@testable import FlexTCPService
import FlexPort
import FlexTCPCore
import Foundation
import Logging
import Testing

/// flextcpd's control thread in-process: what `stop()` leaves behind.
@Suite("flextcpd's control channel at stop")
struct ControlChannelTests {
    /// A started channel on a fresh socket path (hellos due after a minute: none is overdue here).
    private func startedChannel() throws -> ControlChannel {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("control-\(UUID().uuidString.prefix(8)).sock").path
        let channel = try ControlChannel(path: path, helloTimeoutNanoseconds: 60_000_000_000, logger: Logger(label: "control-test"),
                                         runtimeSignal: try WakeupSignal())
        try channel.start()
        return channel
    }

    /// A connection to `channel` that sent its hello, and the socket the channel posted for it.
    private func attached(to channel: ControlChannel) throws -> (client: Int32, socket: Int32) {
        let client = flexshim_unix_connect(channel.path)
        try #require(client >= 0)
        let hello = AttachProtocol.hello
        #expect(hello.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == hello.count)
        for _ in 0..<500 {
            if case .attach(let socket, _)? = channel.takeCommands().first { return (client, socket) }
            usleep(10_000)
        }
        throw ProcessFailure("no attach posted")
    }

    /// True if `client` sees its connection's end within a second.
    private func seesHangUp(_ client: Int32) -> Bool {
        var descriptor = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
        var byte: UInt8 = 0
        return poll(&descriptor, 1, 1000) > 0 && recv(client, &byte, 1, Int32(MSG_DONTWAIT)) <= 0
    }

    @Test("a connection still waiting for its hello is closed at stop")
    func closesPendingAtStop() throws {
        let channel = try startedChannel()
        let silent = flexshim_unix_connect(channel.path)
        try #require(silent >= 0)
        defer { close(silent) }
        // Accepted in order: once the later connection's attach is posted, the silent one is watched.
        let (client, socket) = try attached(to: channel)
        defer { close(client) }
        channel.stop()
        close(socket)  // the runtime's to close
        #expect(seesHangUp(silent), "the channel closed the connection that never sent its hello")
    }

    @Test("a socket the runtime refused (shut down) just before stop gets its hang-up posted, so the runtime closes it")
    func postsRefusedHangUpAtStop() throws {
        let channel = try startedChannel()
        let (client, socket) = try attached(to: channel)
        defer { close(client) }
        shutdown(socket, Int32(SHUT_RDWR))
        channel.stop()
        let commands = channel.takeCommands()
        #expect(commands == [.hangUp(socket: socket)])
        close(socket)
    }
}
