import FlexPort
import FlexWire

/// Commits `sequencedFrame`s for `sequences` through `port` in batches; returns how many entered.
@discardableResult
func sendSequenced(_ sequences: Range<UInt32>, through port: any Port, length: Int = 64) -> Int {
    let batch = FrameBatch(capacity: 64)
    var entered = 0
    var next = sequences.lowerBound
    while next < sequences.upperBound {
        let reserved = port.reserveTransmit(into: batch, count: Int(min(64, sequences.upperBound - next)))
        precondition(reserved > 0, "the port took no frames")
        for index in 0..<reserved { write(sequencedFrame(next &+ UInt32(index), length: length), into: batch, at: index) }
        next &+= UInt32(reserved)
        entered += port.commitTransmit(batch)
    }
    return entered
}

/// Sends sequences 0 ..< `total` through `port` in chunks of 1000, draining `receiver` after each
/// chunk so that its ring never overflows. Returns how many frames entered and what arrived.
func sendInChunks(_ total: UInt32, through port: any Port, receivedBy receiver: any Port) -> (entered: Int, received: [[UInt8]]) {
    var entered = 0
    var received: [[UInt8]] = []
    for start in stride(from: UInt32(0), to: total, by: 1000) {
        entered += sendSequenced(start..<min(start + 1000, total), through: port)
        received += drainFrames(receiver)
    }
    return (entered, received)
}

/// Receives everything ready on `port` and returns copies of the frames.
func drainFrames(_ port: any Port) -> [[UInt8]] {
    var frames: [[UInt8]] = []
    while true {
        let batch = port.receiveCopies(maximum: 256)
        if batch.isEmpty { return frames }
        frames += batch
    }
}

/// The sequence numbers of `frames` (see `sequencedFrame`).
func sequences(of frames: [[UInt8]]) -> [UInt32] {
    frames.map { $0.withUnsafeBytes { sequence(of: $0.baseAddress!) } }
}

/// An Ethernet frame carrying an IPv4 header (valid checksum) with the given ECN codepoint.
func ipv4Frame(ecn: UInt8, sequence: UInt32, length: Int = 100) -> [UInt8] {
    var frame = sequencedFrame(sequence, length: length)
    frame[12] = 0x08
    frame[13] = 0x00
    let header: [UInt8] = [0x45, 0xb8 | ecn, UInt8((length - 14) >> 8), UInt8((length - 14) & 0xff),
                           UInt8(sequence >> 8 & 0xff), UInt8(sequence & 0xff), 0x40, 0, 64, 6, 0, 0,
                           198, 18, 0, 1, 198, 18, 0, 2]
    frame.replaceSubrange(14..<34, with: header)
    let checksum = frame[14..<34].withUnsafeBytes { InternetChecksum.checksum($0.baseAddress!, count: 20) }
    frame[24] = UInt8(checksum >> 8)
    frame[25] = UInt8(checksum & 0xff)
    return frame
}

/// True when the IPv4 header in `frame` (at offset 14) has a correct checksum.
func ipv4ChecksumIsValid(_ frame: [UInt8]) -> Bool {
    frame[14..<34].withUnsafeBytes { InternetChecksum.checksum($0.baseAddress!, count: 20) } == 0
}

/// A link emulator over side a of a fresh wire, on a virtual clock; b receives what it delivers.
func makeEmulatedLink(_ settings: LinkEmulatorSettings, wireCapacity: Int = 4096) throws -> (LinkEmulator, MemoryWire, VirtualTimeSource) {
    let wire = try MemoryWire(capacity: wireCapacity)
    let clock = VirtualTimeSource()
    return (LinkEmulator(wrapping: wire.a, settings: settings, timeSource: clock), wire, clock)
}
