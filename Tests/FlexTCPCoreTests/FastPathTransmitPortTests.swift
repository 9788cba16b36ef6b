import FlexPort
import FlexTestSupport
import FlexWire
import Glibc
import Testing
@testable import FlexTCPCore

/// How the fast path uses the port's transmit side: one slot reserved per frame, one commit per
/// batch, and TCP checksums computed only when the port will not complete or waive them.
@Suite("Fast path transmit and the port")
struct FastPathTransmitPortTests {
    /// A fast path pair whose A side transmits through a `TransmitRecordingPort`.
    static func recordedPair(trustsPartialChecksums: Bool = false,
                             impairment: LinkEmulatorSettings? = nil) throws -> (FastPathPair, TransmitRecordingPort) {
        var recorder: TransmitRecordingPort?
        let pair = try FastPathPair(impairment: impairment, trustsPartialChecksums: trustsPartialChecksums) {
            let wrapped = TransmitRecordingPort(wrapping: $0)
            recorder = wrapped
            return wrapped
        }
        return (pair, try #require(recorder))
    }

    /// The checksums of an IPv4 TCP frame the fast path wrote.
    struct FrameChecksums {
        /// The IPv4 header checksum verifies.
        var headerValid: Bool
        /// The TCP checksum verifies as it stands.
        var complete: Bool
        /// The TCP checksum field holds the folded pseudo-header sum.
        var pseudoHeaderSum: Bool
        /// Completing the field as an offloading device would (sum from the TCP header on) verifies.
        var completesValid: Bool

        init(_ frame: [UInt8]) {
            var bytes = frame
            (headerValid, complete, pseudoHeaderSum, completesValid) = bytes.withUnsafeMutableBytes { buffer in
                let ip = buffer.baseAddress! + EthernetRepr.untaggedHeaderLength
                let tcp = ip + IPv4Repr.headerLength
                let total = Int(UInt16(bigEndian: ip.loadUnaligned(fromByteOffset: IPv4Repr.Offset.totalLength, as: UInt16.self)))
                let length = total - IPv4Repr.headerLength
                let source = IPv4Address(loadingFrom: ip + IPv4Repr.Offset.source)
                let destination = IPv4Address(loadingFrom: ip + IPv4Repr.Offset.destination)
                let headerValid = InternetChecksum.checksum(ip, count: IPv4Repr.headerLength) == 0
                let complete = InternetChecksum.transportChecksum(tcp, length: length, source: source, destination: destination,
                                                                  protocolNumber: .tcp) == 0
                let field = UInt16(bigEndian: tcp.loadUnaligned(fromByteOffset: TCPSegmentRepr.Offset.checksum, as: UInt16.self))
                let pseudo = ~InternetChecksum.finish(InternetChecksum.pseudoHeaderSum(
                    source: source, destination: destination, protocolNumber: IPProtocol.tcp.rawValue, length: length))
                tcp.storeBytes(of: InternetChecksum.checksum(tcp, count: length).bigEndian,
                               toByteOffset: TCPSegmentRepr.Offset.checksum, as: UInt16.self)
                let completesValid = InternetChecksum.transportChecksum(tcp, length: length, source: source,
                                                                        destination: destination, protocolNumber: .tcp) == 0
                return (headerValid, complete, field == pseudo, completesValid)
            }
        }
    }

    @Test("a batch of k segments reserves k slots from the port and commits them once")
    func slotsPerFrame() throws {
        let (pair, recorder) = try Self.recordedPair()
        let data = FastPathPair.pattern(count: 3 * 1448, seed: 31)
        #expect(pair.send(data[...], from: pair.a) == data.count)
        let sent = pair.a.transmit(now: pair.clock.now())
        #expect(sent >= 3)
        #expect(recorder.slotsRequested == sent, "one slot asked for per segment, not a whole batch")
        #expect(recorder.slotsReserved == sent)
        #expect(recorder.commits.count == 1)
        #expect(recorder.commits.first?.count == sent, "the commit walks only the frames written")
    }

    @Test("segments start with the flow's header template, rebuilt when the slow path changes the flow")
    func headerTemplate() throws {
        let (pair, recorder) = try Self.recordedPair()
        let data = FastPathPair.pattern(count: 1_000, seed: 39)
        #expect(pair.send(data[...], from: pair.a) == data.count)
        pair.a.transmit(now: pair.clock.now())
        let first = try #require(recorder.committedFrames.last)
        let parsed = try #require(TestFrame(first.bytes))
        #expect(parsed.destinationMAC == pair.portB.macAddress && parsed.sourceMAC == pair.portA.macAddress)
        #expect(parsed.source == FastPathPair.addressA && parsed.destination == FastPathPair.addressB)
        #expect(parsed.sourcePort == 40000 && parsed.destinationPort == 80)
        #expect(FrameChecksums(first.bytes).headerValid && FrameChecksums(first.bytes).complete)

        let moved = MACAddress(0x02, 0, 0, 0, 0x5e, 0x77)
        pair.a.update(flow: 0) { $0.remoteMAC = moved }
        #expect(pair.send(data[...], from: pair.a) == data.count)
        pair.a.transmit(now: pair.clock.now())
        let second = try #require(recorder.committedFrames.last)
        #expect(try #require(TestFrame(second.bytes)).destinationMAC == moved, "the template follows the flow's new remote MAC")
        #expect(FrameChecksums(second.bytes).headerValid && FrameChecksums(second.bytes).complete)
    }

    /// The addressing fields of an untagged IPv4 TCP frame.
    struct TestFrame {
        var destinationMAC: MACAddress
        var sourceMAC: MACAddress
        var source: IPv4Address
        var destination: IPv4Address
        var sourcePort: UInt16
        var destinationPort: UInt16

        init?(_ frame: [UInt8]) {
            guard frame.count >= SegmentHeaders.fixedLength else { return nil }
            (destinationMAC, sourceMAC, source, destination, sourcePort, destinationPort) = frame.withUnsafeBytes { buffer in
                let base = buffer.baseAddress!
                let ip = base + EthernetRepr.untaggedHeaderLength
                let tcp = ip + IPv4Repr.headerLength
                return (MACAddress(loadingFrom: base + EthernetRepr.Offset.destination), MACAddress(loadingFrom: base + EthernetRepr.Offset.source),
                        IPv4Address(loadingFrom: ip + IPv4Repr.Offset.source), IPv4Address(loadingFrom: ip + IPv4Repr.Offset.destination),
                        UInt16(bigEndian: tcp.loadUnaligned(fromByteOffset: TCPSegmentRepr.Offset.sourcePort, as: UInt16.self)),
                        UInt16(bigEndian: tcp.loadUnaligned(fromByteOffset: TCPSegmentRepr.Offset.destinationPort, as: UInt16.self)))
            }
        }
    }

    @Test("segments for a port that completes checksums carry the pseudo-header sum and are marked partial")
    func partialChecksums() throws {
        let (pair, recorder) = try Self.recordedPair(trustsPartialChecksums: true)
        #expect(pair.portA.transmitChecksumOffload == .trustedLink)
        let forward = FastPathPair.pattern(count: 40_000, seed: 32)
        let backward = FastPathPair.pattern(count: 20_000, seed: 33)
        pair.transfer(forward, from: pair.a)
        pair.transfer(backward, from: pair.b)
        #expect(pair.receivedByB == forward)
        #expect(pair.receivedByA == backward)
        let frames = recorder.committedFrames
        #expect(frames.count > 20)
        for frame in frames {
            let checksums = FrameChecksums(frame.bytes)
            #expect(frame.flags.contains(.checksumPartial))
            #expect(checksums.headerValid)
            #expect(checksums.pseudoHeaderSum)
            #expect(checksums.completesValid)
        }
        #expect(pair.a.frames(withVerdict: .badChecksum) == 0 && pair.b.frames(withVerdict: .badChecksum) == 0)
    }

    @Test("segments for a port without offload carry complete, valid checksums and no mark")
    func completeChecksums() throws {
        let (pair, recorder) = try Self.recordedPair()
        #expect(pair.portA.transmitChecksumOffload == .none)
        let forward = FastPathPair.pattern(count: 40_000, seed: 34)
        pair.transfer(forward, from: pair.a)
        pair.transfer(FastPathPair.pattern(count: 5_000, seed: 35), from: pair.b)
        #expect(pair.receivedByB == forward)
        let frames = recorder.committedFrames
        #expect(frames.count > 20)
        for frame in frames {
            let checksums = FrameChecksums(frame.bytes)
            #expect(!frame.flags.contains(.checksumPartial))
            #expect(checksums.headerValid)
            #expect(checksums.complete)
        }
    }

    @Test("behind a pcap recorder on a wire that waives partial checksums, segments are recorded with complete checksums")
    func recordedThroughPcap() throws {
        let path = "/tmp/flextcp-offload-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).pcap"
        defer { unlink(path) }
        let writer = try PcapWriter(path: path)
        var recorder: TransmitRecordingPort?
        let pair = try FastPathPair(trustsPartialChecksums: true) {
            let wrapped = TransmitRecordingPort(wrapping: PcapRecordingPort(wrapping: $0, writer: writer))
            recorder = wrapped
            return wrapped
        }
        #expect(pair.link.wire.a.transmitChecksumOffload == .trustedLink)
        #expect(pair.portA.transmitChecksumOffload == .none)
        let data = FastPathPair.pattern(count: 20_000, seed: 38)
        pair.transfer(data, from: pair.a)
        #expect(pair.receivedByB == data)
        let frames = try #require(recorder).committedFrames
        #expect(frames.count > 10)
        for frame in frames {
            #expect(!frame.flags.contains(.checksumPartial))
            #expect(FrameChecksums(frame.bytes).complete, "the recorder writes these very bytes")
        }
    }

    @Test("on a wire that waives partial checksums, frames corrupted behind a link emulator are still dropped and counted")
    func corruptionBehindEmulator() throws {
        var settings = LinkEmulatorSettings()
        settings.corruptProbability = 0.05
        settings.seed = 36
        let (pair, recorder) = try Self.recordedPair(trustsPartialChecksums: true, impairment: settings)
        #expect(pair.portA.transmitChecksumOffload == .none, "the emulator may corrupt: it offers no offload")
        let data = FastPathPair.pattern(count: 200_000, seed: 37)
        pair.transfer(data, from: pair.a)
        #expect(pair.receivedByB == data)
        #expect(recorder.committedFrames.allSatisfy { !$0.flags.contains(.checksumPartial) })
        #expect(pair.b.frames(withVerdict: .badChecksum) > 0)
    }
}
