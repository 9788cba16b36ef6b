#if canImport(Glibc)
import FlexTestHosts
import Foundation
import Testing

/// Unmodified programs run on flextcpd through the POSIX sockets library (`flextcp run`), against
/// Linux peers in another namespace; every test compares the bytes that came back.
@Suite("Unmodified programs through the POSIX sockets library", .enabled(if: runsAsRoot), .serialized)
struct PreloadProgramTests {
    @Test("socat through the library echoes a file through a Linux socat, and serves as an echo server for one")
    func socatEcho() throws {
        let rig = try PreloadRig()
        let data = Data(seededBytes(1_000_000, seed: 11))
        let input = rig.path("input")
        FileManager.default.createFile(atPath: input, contents: data)
        // The library's socat as the client of a Linux echo server.
        let linuxEcho = try rig.linuxSide.start(["socat", "TCP-LISTEN:7000,reuseaddr", "PIPE"])
        let echoedToLibrary = rig.path("echoed-to-library")
        let client = try rig.startPreloaded(["socat", "-t", "5", "-b", "65536", "FILE:\(input)!!CREATE:\(echoedToLibrary)",
                                             "TCP:\(PreloadRig.linuxAddress):7000,retry=50,interval=0.2"]).wait(timeout: .seconds(60))
        #expect(client.succeeded, "\(client)")
        #expect(FileManager.default.contents(atPath: echoedToLibrary) == data, "the echo the library's socat received differs")
        linuxEcho.stop()
        // The library's socat as the echo server of a Linux client. Its blocks are 4096 bytes: socat
        // writes a block into its PIPE once select says the pipe has room (one free page), so a
        // larger block can block socat in write(2) on a pipe only socat itself drains — a deadlock
        // of socat's own whenever the socket's send buffer is slow to take the echo.
        let server = try rig.startPreloaded(["socat", "-b", "4096", "TCP-LISTEN:7001,reuseaddr", "PIPE"])
        let echoedToLinux = rig.path("echoed-to-linux")
        let linuxClient = try rig.linuxSide.run(["socat", "-t", "5", "-b", "65536", "FILE:\(input)!!CREATE:\(echoedToLinux)",
                                                 "TCP:\(PreloadRig.serviceAddress):7001,retry=50,interval=0.2"], timeout: .seconds(60))
        #expect(linuxClient.succeeded, "\(linuxClient)")
        #expect(FileManager.default.contents(atPath: echoedToLinux) == data, "the echo from the library's socat differs")
        let served = server.wait(timeout: .seconds(20))
        #expect(served.succeeded, "\(served)")
    }

    @Test("Python through the library: a select server with non-blocking sockets, a ThreadingTCPServer (connections used on other threads than the accepting one), and a client on four threads (non-blocking connect, SO_ERROR, MSG_PEEK, refused connect)")
    func python() throws {
        let rig = try PreloadRig()
        // The library's select server, then its ThreadingTCPServer (accepted on one thread, read and
        // written on another), each against Linux clients; then the library's clients against Linux's select server.
        try echoRound(rig, server: "select_server.py", port: "7100", serverOnLibrary: true)
        try echoRound(rig, server: "threading_server.py", port: "7102", serverOnLibrary: true)
        try echoRound(rig, server: "select_server.py", port: "7101", serverOnLibrary: false)
    }

    /// Runs the Python echo `server` (4 connections) on one side and `thread_client.py` (4 threads ×
    /// 300 kB, SHA-256 compared) on the other, the library's side being the server's if `serverOnLibrary`.
    private func echoRound(_ rig: PreloadRig, server: String, port: String, serverOnLibrary: Bool) throws {
        let ready = rig.path("\(server)-\(port)-ready")
        let serverArguments = ["python3", PreloadRig.script(server), port, "4", ready]
        let running = serverOnLibrary ? try rig.startPreloaded(serverArguments) : try rig.linuxSide.start(serverArguments)
        #expect(waitForFile(ready, seconds: 30), "\(server) did not listen")
        let clientArguments = ["python3", PreloadRig.script("thread_client.py"),
                               serverOnLibrary ? PreloadRig.serviceAddress : PreloadRig.linuxAddress, port, "4", "300000", "7199"]
        let clients = serverOnLibrary ? try rig.linuxSide.run(clientArguments, timeout: .seconds(60))
            : try rig.startPreloaded(clientArguments).wait(timeout: .seconds(60))
        #expect(clients.succeeded && clients.standardOutput.contains("ok"), "\(clients)")
        let served = running.wait(timeout: .seconds(20))
        #expect(served.succeeded && served.standardOutput.contains("served 4"), "\(served)")
    }

    /// Messages per ping-pong direction: `FLEXTCP_PRELOAD_MESSAGES` (e.g. 100000), else 3,000.
    static let pingPongMessages = ProcessInfo.processInfo.environment["FLEXTCP_PRELOAD_MESSAGES"].flatMap(Int.init) ?? 3000

    @Test("A blocking client and server sleeping in accept, epoll_wait and recv exchange messages without a lost wake-up (both sides on the library in turn)")
    func blockingPingPong() throws {
        let rig = try PreloadRig()
        let count = "\(Self.pingPongMessages)"
        // A stall is a lost wake-up: the watchdog (the wait's time limit) kills it and the test fails.
        let watchdog = Duration.seconds(30 + Self.pingPongMessages / 500)
        let ready = rig.path("pingpong-ready")
        let server = try rig.startPreloaded(["python3", PreloadRig.script("pingpong.py"), "server", "7200", ready])
        #expect(waitForFile(ready, seconds: 30), "the ping-pong server did not listen")
        let linuxClient = try rig.linuxSide.run(["python3", PreloadRig.script("pingpong.py"), "client", PreloadRig.serviceAddress, "7200", count],
                                                timeout: watchdog)
        #expect(linuxClient.succeeded && linuxClient.standardOutput.contains("done \(count)"), "\(linuxClient)")
        #expect(server.wait(timeout: .seconds(20)).succeeded)
        let linuxReady = rig.path("linux-pingpong-ready")
        let linuxServer = try rig.linuxSide.start(["python3", PreloadRig.script("pingpong.py"), "server", "7201", linuxReady])
        #expect(waitForFile(linuxReady, seconds: 30), "the Linux ping-pong server did not listen")
        let client = try rig.startPreloaded(["python3", PreloadRig.script("pingpong.py"), "client", PreloadRig.linuxAddress, "7201", count])
            .wait(timeout: watchdog)
        #expect(client.succeeded && client.standardOutput.contains("done \(count)"), "\(client)")
        #expect(linuxServer.wait(timeout: .seconds(20)).succeeded)
    }

    @Test("POSIX semantics through the library: loopback handed to the kernel, options, O_NONBLOCK/FIONBIO, MSG_DONTWAIT/PEEK, SO_RCVTIMEO, FIONREAD, epoll level/edge/one-shot/RDHUP, poll on a socket and a pipe, select, dup/dup2, the fork rule, SHUT_WR, EPIPE and SIGPIPE")
    func semantics() throws {
        let rig = try PreloadRig()
        // On Linux the same script passes every check but the fork rule's (a child there shares the parent's sockets).
        let echo = try rig.linuxSide.start(["socat", "TCP-LISTEN:7300,reuseaddr,fork", "PIPE"])
        let result = try rig.runPreloaded(["python3", PreloadRig.script("semantics.py"), PreloadRig.linuxAddress, "7300"])
        #expect(result.succeeded && result.standardOutput.contains("ok"), "\(result)")
        echo.stop()
    }

    @Test("Edges through the library: level-triggered EPOLLOUT keeps coming for a writer sending a chunk per event, ready sockets and kernel descriptors take turns under a small maxevents, errno kept on success, the epoll descriptor readable while an interest is ready; SA_RESTART, sendfile, bad arguments; MSG_PEEK|MSG_WAITALL, connect to 0.0.0.0, TCP_MAXSEG, a forked child's epoll")
    func edges() throws {
        let rig = try PreloadRig()
        let echo = try rig.linuxSide.start(["socat", "TCP-LISTEN:7310,reuseaddr,fork", "PIPE"])
        let sink = try rig.linuxSide.start(["socat", "-u", "TCP-LISTEN:7311,reuseaddr,fork", "GOPEN:/dev/null"])
        for arguments in [["readiness.py", "7310", "7311"], ["calls.py", "7310"], ["corners.py", "7310"]] {
            let command = ["python3", PreloadRig.script(arguments[0]), PreloadRig.linuxAddress] + arguments.dropFirst()
            let result = try rig.runPreloaded(command)
            #expect(result.succeeded && result.standardOutput.contains("ok"), "\(arguments[0]): \(result)")
        }
        echo.stop()
        sink.stop()
    }

    @Test("A select sleeping beside the library's thread wakes for its echo, also when that thread took the service's signal for an acknowledgment that concerned nobody (50 fresh connections)")
    func selectBesideLibraryThread() throws {
        let rig = try PreloadRig()
        let echo = try rig.linuxSide.start(["socat", "TCP-LISTEN:7320,reuseaddr,fork", "PIPE"])
        let result = try rig.runPreloaded(["python3", PreloadRig.script("wakeups.py"), PreloadRig.linuxAddress, "7320"])
        #expect(result.succeeded && result.standardOutput.contains("ok"), "\(result)")
        echo.stop()
    }

    @Test("listen's backlog holds as on Linux: backlog + 1 connections complete while the program does not accept, the others' SYNs go unanswered, another listener of the program still connects, and all complete once it accepts")
    func listenBacklog() throws {
        try serverAndClient("backlog.py", arguments: ["7400", "7401", "2"], serverSays: "served 5")
    }

    @Test("listen(fd, 0) holds one connection as Linux does: one completes while the program does not accept, the others complete once it accepts")
    func listenBacklogZero() throws {
        try serverAndClient("backlog.py", arguments: ["7402", "7403", "0"], serverSays: "served 3")
    }

    @Test("shutdown(SHUT_RD) on a listener closes the connection the library held for accept: its peer sees the end, while the program runs on")
    func listenerShutClosesHeldConnection() throws {
        try serverAndClient("listener_shut.py", arguments: ["7410", "7411"], serverSays: "shut")
    }

    @Test("TCP_MAXSEG reports a connection's MSS in use as Linux does: 536 or the value set before, then the segment size of an accepted connection (the Linux client offered 1000) and of a connected one (the Linux listener offered 1200), each the same as Linux's side of it")
    func segmentSize() throws {
        try serverAndClient("mss.py", arguments: ["7420", "7421", PreloadRig.linuxAddress], serverSays: "mss ")
    }

    /// Runs `script` as its server on the library (`server PORTS… READY`) and, once that listens, as
    /// its client on the Linux side (`client SERVICE PORTS…`); expects the client to print "ok" and
    /// the server `serverSays`.
    /// Runs `script server ARGUMENTS… READY` on flextcpd and then `script client HOST ARGUMENTS…` on Linux.
    private func serverAndClient(_ script: String, arguments: [String], serverSays: String) throws {
        let rig = try PreloadRig()
        let ready = rig.path("\(script)-ready")
        let server = try rig.startPreloaded(["python3", PreloadRig.script(script), "server"] + arguments + [ready])
        #expect(waitForFile(ready, seconds: 30), "the \(script) server did not listen")
        let client = try rig.linuxSide.run(["python3", PreloadRig.script(script), "client", PreloadRig.serviceAddress] + arguments,
                                           timeout: .seconds(60))
        #expect(client.succeeded && client.standardOutput.contains("ok"), "\(client)")
        let served = server.wait(timeout: .seconds(20))
        #expect(served.succeeded && served.standardOutput.contains(serverSays), "\(served)")
    }

    @Test("When flextcpd goes away, a recv blocked in the library fails with ECONNRESET and a new socket with EAFNOSUPPORT")
    func serviceGoesAway() throws {
        let rig = try PreloadRig()
        let silent = try rig.linuxSide.start(["socat", "TCP-LISTEN:7600,reuseaddr", "SYSTEM:sleep 60"])
        let ready = rig.path("connected")
        let client = try rig.startPreloaded(["python3", PreloadRig.script("service_gone.py"), PreloadRig.linuxAddress, "7600", ready])
        #expect(waitForFile(ready, seconds: 30), "the client did not connect")
        usleep(300_000)  // into its recv
        rig.stopService()
        let result = client.wait(timeout: .seconds(20))
        #expect(result.succeeded && result.standardOutput.contains("recv failed \(ECONNRESET)"), "\(result)")
        #expect(result.standardOutput.contains("new socket failed \(EAFNOSUPPORT)"), "\(result)")
        silent.stop()
    }

    @Test("flextcp run says so when flextcpd is not reachable")
    func unreachableService() throws {
        let result = try RunningCommand([try PreloadRig.built("flextcp"), "run", "--service", "/nonexistent/flextcpd.sock", "--", "true"])
            .wait(timeout: .seconds(20))
        #expect(result.status == 2)
        #expect(result.standardError.contains("flextcpd is not reachable at /nonexistent/flextcpd.sock"), "\(result)")
    }
}
#endif
