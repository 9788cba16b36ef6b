import ArgumentParser
import FlexTCPCore
import FlexTCPTools

/// `flextcp demo`: two network hosts on an in-memory wire; A resolves B with ARP and pings it, then
/// two TCP stacks on a fresh wire move seeded streams from A to B and compare SHA-256 on both ends.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Two hosts on an in-memory wire: ARP and ping, then TCP streams verified by SHA-256.",
        discussion: "Exits with status 0 only if every echo request was answered and every TCP stream arrived intact.")

    @Option(help: "Echo requests to send.")
    var count = 3

    @Option(help: "Record host A's frames to this pcap file.")
    var pcap: String?

    @Option(name: .customLong("interval-ms"), help: "Milliseconds between echo requests.")
    var intervalMilliseconds: UInt64 = 100

    @Option(name: .customLong("size"), help: "Echo data bytes per request.")
    var payloadLength = 56

    @Option(name: .customLong("delay-us"), help: "One-way delay of the emulated link, in microseconds.")
    var delayMicroseconds: UInt64 = 0

    @Option(help: "Probability (0...1) that the emulated link loses a frame, each way.")
    var loss = 0.0

    @Option(help: "Seed of the emulated link's random loss.")
    var seed: UInt64 = 1

    @Flag(name: .customLong("virtual-time"), help: "Run the ping part on a virtual clock: exact, repeatable round trips.")
    var virtualTime = false

    @Option(name: .customLong("tcp-connections"), help: "TCP connections in the transfer part (0 skips it).")
    var tcpConnections = 4

    @Option(name: .customLong("tcp-bytes"), help: "Bytes sent on each TCP connection.")
    var tcpBytes: UInt64 = 2_000_000

    func validate() throws {
        guard (1...65_535).contains(count) else { throw ValidationError("--count must be 1...65535") }
        guard intervalMilliseconds <= 3_600_000 else { throw ValidationError("--interval-ms must be at most one hour") }
        guard delayMicroseconds <= 3_600_000_000 else { throw ValidationError("--delay-us must be at most one hour") }
        guard (0...100).contains(tcpConnections) else { throw ValidationError("--tcp-connections must be 0...100") }
        guard tcpBytes > 0 else { throw ValidationError("--tcp-bytes must be positive") }
    }

    func run() throws {
        var options = PingDemoOptions()
        options.count = count
        options.interval = intervalMilliseconds * 1_000_000
        options.payloadLength = payloadLength
        options.oneWayDelay = delayMicroseconds * 1_000
        options.lossProbability = loss
        options.seed = seed
        options.clock = virtualTime ? .virtual : .monotonic
        options.pcapPath = pcap

        print("flextcp demo: host A \(PingDemo.addressA)/\(PingDemo.prefixLength) pings host B "
            + "\(PingDemo.addressB)/\(PingDemo.prefixLength) over an in-memory wire (\(virtualTime ? "virtual" : "real") time)")
        if delayMicroseconds > 0 || loss > 0 {
            print("link: \(Microseconds(options.oneWayDelay)) one-way delay, \(percent(loss)) loss each way")
        }
        let report: PingDemoReport
        do {
            report = try PingDemo.run(options) { print($0) }
        } catch {
            printError("flextcp demo: \(error)")
            throw ExitCode.failure
        }
        print("--- \(counted(report.requestsSent, "echo request")) sent, \(report.replies.count) received, "
            + "\(report.lost) lost (\(percent(Double(report.lost) / Double(max(report.requestsSent, 1)))) loss)")
        print("host B answered \(counted(report.statisticsB.arpRequestsAnswered, "ARP request")) and "
            + "\(counted(report.statisticsB.echoRequestsAnswered, "echo request"))")
        if let pcap, let recorded = report.recordedFrames { print("recorded \(counted(recorded, "frame")) to \(pcap)") }
        guard report.everyRequestAnswered else { throw ExitCode.failure }
        if tcpConnections > 0 { try runTransfer() }
    }

    private func runTransfer() throws {
        print("TCP: \(TransferDemo.addressA) opens \(counted(tcpConnections, "connection")) to \(TransferDemo.addressB):5001 "
            + "and sends \(tcpBytes) seeded bytes on each")
        let report: TransferDemo.Report
        do {
            report = try TransferDemo.run(connections: tcpConnections, bytesPerConnection: tcpBytes, seed: seed)
        } catch {
            printError("flextcp demo: \(error)")
            throw ExitCode.failure
        }
        for stream in report.received { print("received \(stream.line)") }
        for failure in report.failures { printError("flextcp demo: a connection failed: \(failure)") }
        if report.unfinished > 0 { printError("flextcp demo: \(counted(report.unfinished, "connection")) did not finish in time") }
        print("--- \(report.received.count)/\(tcpConnections) streams received, "
            + "\((report.gigabitsPerSecond * 100).rounded() / 100) Gbit/s (both stacks on this thread), "
            + (report.everyStreamVerified ? "every SHA-256 matches the sender's" : "VERIFICATION FAILED"))
        guard report.everyStreamVerified else { throw ExitCode.failure }
    }

    private func percent(_ fraction: Double) -> String { "\(Int((fraction * 100).rounded()))%" }
}
