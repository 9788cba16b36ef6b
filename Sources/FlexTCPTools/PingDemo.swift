#if canImport(Glibc)
import Glibc
#endif
import FlexPort
import FlexTCPCore
import FlexWire

/// How `PingDemo.run` sets up its two hosts. Times are nanoseconds.
public struct PingDemoOptions: Sendable {
    /// Which clock drives the demo.
    public enum Clock: Sendable {
        /// Real time: round trips are what the two hosts really took.
        case monotonic
        /// Virtual time, moved on by the demo whenever both hosts are idle: exact and repeatable.
        case virtual
    }

    /// Echo requests to send (1 ... 65 535), sequence numbers 1, 2, ...
    public var count = 3
    /// Time between echo requests.
    public var interval: UInt64 = 100_000_000
    /// How long a request waits for its reply before it counts as lost (at least 1 µs).
    public var timeout: UInt64 = 1_000_000_000
    /// Echo data bytes per request (0 ... 1472).
    public var payloadLength = 56
    /// Propagation delay of the emulated link, each way.
    public var oneWayDelay: UInt64 = 0
    /// Probability that the emulated link loses a frame, each way (0 ... 1).
    public var lossProbability = 0.0
    /// Seed of the link emulators' random loss.
    public var seed: UInt64 = 1
    public var clock = Clock.monotonic
    /// Where to record host A's frames (pcap), or nil.
    public var pcapPath: String?

    public init() {}
}

/// What happened in a `PingDemo` run.
public struct PingDemoReport: Sendable {
    /// Host A's events, in order: resolutions, echo replies, timeouts.
    package var events: [NetworkEvent]
    public var requestsSent: Int
    package var statisticsA: NetworkHostStatistics
    package var statisticsB: NetworkHostStatistics
    /// Frames written to the pcap file (nil without one).
    public var recordedFrames: UInt64?

    package var replies: [EchoReply] {
        events.compactMap { if case let .echoReplyReceived(reply) = $0 { reply } else { nil } }
    }
    public var lost: Int { requestsSent - replies.count }
    /// True when every request was sent and answered.
    public var everyRequestAnswered: Bool { requestsSent > 0 && lost == 0 }
}

/// Why a `PingDemo` could not run.
public enum PingDemoError: Error, Equatable, CustomStringConvertible {
    case invalidOption(String)

    public var description: String {
        switch self {
        case let .invalidOption(text): text
        }
    }
}

/// Two `NetworkHost`s on one `MemoryWire`, each behind a `LinkEmulator`: host A (198.18.0.1/24) pings
/// host B (198.18.0.2/24), resolving B with ARP first.
///
/// Contract: `run` polls both hosts on the calling thread until every request is answered or has
/// timed out (bounded by count × interval + timeout + 1 s of the demo's clock), hands host A's
/// events to `onEvent` as they happen, and returns the report. With the virtual clock the run
/// is exact and repeatable and takes little real time.
public enum PingDemo {
    public static let addressA = IPv4Address(198, 18, 0, 1)
    public static let addressB = IPv4Address(198, 18, 0, 2)
    public static let prefixLength = 24

    package static func run(_ options: PingDemoOptions, onEvent: (NetworkEvent) -> Void = { _ in }) throws -> PingDemoReport {
        try validate(options)
        let virtualClock = options.clock == .virtual ? VirtualTimeSource() : nil
        let clock: any TimeSource = virtualClock ?? MonotonicTimeSource()
        let wire = try MemoryWire()
        let linkA = LinkEmulator(wrapping: wire.a, settings: linkSettings(options, seed: options.seed), timeSource: clock)
        let linkB = LinkEmulator(wrapping: wire.b, settings: linkSettings(options, seed: options.seed &+ 1), timeSource: clock)
        let writer = try options.pcapPath.map { path throws(PcapWriterError) in try PcapWriter(path: path, timeSource: virtualClock) }
        let hostA = try NetworkHost(port: writer.map { PcapRecordingPort(wrapping: linkA, writer: $0) } ?? linkA,
                                    configuration: configuration(addressA, echoRequestLimit: options.count))
        let hostB = try NetworkHost(port: linkB, configuration: configuration(addressB, echoRequestLimit: 1))

        var events: [NetworkEvent] = []
        var sent = 0
        var nextSend = clock.now()
        let giveUp = nextSend + UInt64(options.count - 1) * options.interval + options.timeout + 1_000_000_000
        while true {
            let now = clock.now()
            if sent < options.count && now >= nextSend {
                sent += 1
                try hostA.sendEchoRequest(to: addressB, sequenceNumber: UInt16(sent), payloadLength: options.payloadLength,
                                          timeout: options.timeout, now: now)
                nextSend += options.interval
            }
            let framesOnWire = wire.a.statistics.transmittedFrames &+ wire.b.statistics.transmittedFrames
            let received = hostA.poll(now: now) + hostB.poll(now: now)
            hostA.drainEvents { event in
                events.append(event)
                onEvent(event)
            }
            hostB.drainEvents { _ in }
            if (sent == options.count && hostA.outstandingEchoRequests == 0) || now >= giveUp { break }
            // A frame received, or put on the wire for the other host's next poll: go round again.
            guard received == 0, wire.a.statistics.transmittedFrames &+ wire.b.statistics.transmittedFrames == framesOnWire
            else { continue }
            // Both hosts are idle: nothing happens before the next request, retry, timeout or arrival.
            var wake = min(hostA.nextDeadline, hostB.nextDeadline, giveUp)
            if sent < options.count { wake = min(wake, nextSend) }
            if linkA.framesInFlight + linkB.framesInFlight > 0 { wake = min(wake, now + 1_000) }
            idle(until: max(wake, now + 1), now: now, virtualClock: virtualClock)
        }
        try writer?.close()
        return PingDemoReport(events: events, requestsSent: sent, statisticsA: hostA.statistics, statisticsB: hostB.statistics,
                              recordedFrames: writer?.recordedFrames)
    }

    private static func validate(_ options: PingDemoOptions) throws(PingDemoError) {
        guard (1...65_535).contains(options.count) else { throw .invalidOption("the count must be 1...65535") }
        guard (0...1472).contains(options.payloadLength) else { throw .invalidOption("the payload length must be 0...1472") }
        guard (0...1).contains(options.lossProbability) else { throw .invalidOption("the loss probability must be 0...1") }
        guard options.timeout >= 1_000 else { throw .invalidOption("the timeout must be at least 1 µs") }
        guard options.interval <= 3_600_000_000_000, options.timeout <= 3_600_000_000_000,
              options.oneWayDelay <= 3_600_000_000_000 else { throw .invalidOption("times must be at most one hour") }
    }

    private static func linkSettings(_ options: PingDemoOptions, seed: UInt64) -> LinkEmulatorSettings {
        var settings = LinkEmulatorSettings()
        settings.propagationDelayNanoseconds = options.oneWayDelay
        settings.dropProbability = options.lossProbability
        settings.seed = seed
        settings.poolCapacity = 256
        return settings
    }

    private static func configuration(_ address: IPv4Address, echoRequestLimit: Int) throws(NetworkConfigurationError) -> NetworkHostConfiguration {
        var configuration = NetworkHostConfiguration(interface: try InterfaceAddress(address: address, prefixLength: prefixLength))
        configuration.echoRequestLimit = echoRequestLimit
        return configuration
    }

    /// Moves virtual time to `wake`, or sleeps until then in real time.
    private static func idle(until wake: UInt64, now: UInt64, virtualClock: VirtualTimeSource?) {
        if let virtualClock {
            virtualClock.set(to: wake)
            return
        }
        let pause = wake - now
        var request = timespec(tv_sec: Int(pause / 1_000_000_000), tv_nsec: Int(pause % 1_000_000_000))
        nanosleep(&request, nil)
    }
}
