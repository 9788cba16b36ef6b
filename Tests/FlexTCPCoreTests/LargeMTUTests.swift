import FlexPort
import FlexTestSupport
import FlexWire
import Testing
@testable import FlexTCPCore

/// Two stacks on an in-memory wire whose MTU is the largest IPv4 packet (65,535 bytes, Linux
/// loopback's 65,536 as far as IPv4 goes): they agree on an MSS of 65,483 bytes (65,535 less the
/// IPv4 and TCP headers and the timestamp option) and move bulk data in segments that large.
@Suite("Stacks on a 64 KiB-MTU wire")
struct LargeMTUTests {
    /// The largest IPv4 packet in an untagged Ethernet frame.
    static let largestFrame = 14 + 65_535
    /// 65,535 less 20 (IPv4), 20 (TCP) and 12 (timestamps).
    static let segmentSize: UInt16 = 65_483

    /// A pair on a wire of `frameLength`-byte frames with 256 KiB rings (a 64 KiB segment needs a
    /// window larger than itself); A's port records what A sends.
    static func pair(frameLength: Int) throws -> StackPair {
        let configuration = StackPair.configuration {
            $0.receiveRingSize = 256 * 1024
            $0.transmitRingSize = 256 * 1024
        }
        let link = try TestWire(capacity: 64, frameLength: frameLength, trustsPartialChecksums: true)
        return try StackPair(link: link) { port, side in
            try TestStack(port: side == .a ? TransmitRecordingPort(wrapping: port) : port, address: side.address,
                          configuration: configuration)
        }
    }

    /// The frames A committed that carry TCP payload.
    static func dataFrames(of pair: StackPair) throws -> [[UInt8]] {
        let port = try #require(pair.a.port as? TransmitRecordingPort)
        return port.committedFrames.map(\.bytes).filter { $0.count > SegmentHeaders.fixedLength + 12 }
    }

    @Test("4 MB cross intact in segments of the negotiated 65,483-byte MSS")
    func bulkTransferInLargeSegments() throws {
        let pair = try Self.pair(frameLength: Self.largestFrame)
        let (flowA, flowB) = try pair.connect()
        #expect(pair.a.slowPath.localMaximumSegmentSize == 65_495)
        #expect(pair.a.fastPath.state(of: flowA)?.maximumSegmentSize == Self.segmentSize)
        #expect(pair.b.fastPath.state(of: flowB)?.maximumSegmentSize == Self.segmentSize)

        let data = StackPair.pattern(count: 4 << 20, seed: 64)
        let delivered = pair.transfer(data, from: pair.a, flow: flowA, to: pair.b, receiverFlow: flowB)
        let intact = pair.b.received[flowB] == data
        #expect(delivered && intact, "every byte arrives, in order")

        let frames = try Self.dataFrames(of: pair)
        #expect(frames.map(\.count).max() == Self.largestFrame)
        // Nearly every byte rides in full segments: far fewer frames than at 1,448 bytes each.
        let full = frames.filter { $0.count == Self.largestFrame }.count
        #expect(full >= data.count / Int(Self.segmentSize) - 8, "\(full) full-size segments of \(frames.count)")
        #expect(frames.count < data.count / 1448 / 8)
        #expect(pair.a.slowPath.counters.retransmissionTimeouts == 0)
    }

    @Test("A port with frames longer than the largest IPv4 packet gets an MSS that keeps packets within 65,535 bytes")
    func mssStopsAtTheIPv4TotalLength() throws {
        let pair = try Self.pair(frameLength: 100_000)
        #expect(pair.a.slowPath.localMaximumSegmentSize == 65_495)
        let (flowA, flowB) = try pair.connect()
        #expect(pair.a.fastPath.state(of: flowA)?.maximumSegmentSize == Self.segmentSize)

        let data = StackPair.pattern(count: 1 << 20, seed: 65)
        let delivered = pair.transfer(data, from: pair.a, flow: flowA, to: pair.b, receiverFlow: flowB)
        let intact = pair.b.received[flowB] == data
        #expect(delivered && intact, "every byte arrives, in order")
        for frame in try Self.dataFrames(of: pair) {
            let totalLength = Int(frame[16]) << 8 | Int(frame[17])
            #expect(frame.count <= Self.largestFrame && totalLength == frame.count - 14)
        }
    }
}
