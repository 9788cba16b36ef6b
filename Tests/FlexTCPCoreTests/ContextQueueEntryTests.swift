import FlexPort
import FlexWire
@testable import FlexTCPCore
import Testing

/// A 64-byte entry buffer, filled with `fill` so that an encoder that forgets a reserved byte is caught.
private func withEntryBuffer<Result>(fill: UInt8 = 0xa5, _ body: (UnsafeMutableRawPointer) throws -> Result) rethrows -> Result {
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
    defer { buffer.deallocate() }
    buffer.initializeMemory(as: UInt8.self, repeating: fill, count: 64)
    return try body(buffer)
}

private func bytes(_ buffer: UnsafeRawPointer, _ count: Int) -> [UInt8] {
    Array(UnsafeRawBufferPointer(start: buffer, count: count))
}

private let sampleRejection = EntryRejection(reason: .sendTooLarge, rejectedType: 0x11, rejectedWord: 9,
                                             rejectedDetail: 0x0000_0010_0001_0000, repeats: 3)
private let sampleConnection = OpenedConnection(opaque: 0xdead_beef_0000_0001, flow: 42, status: .success,
                                                receiveRingOffset: 0x1_0000, receiveRingSize: 0x8000,
                                                transmitRingOffset: 0x1_8000, transmitRingSize: 0x4000,
                                                remoteAddress: IPv4Address(198, 18, 0, 2), remotePort: 443, localPort: 50_000,
                                                segmentSize: 1448)

@Suite struct ContextQueueEntryTests {
    static let receiveEntries: [ReceiveQueueEntry] = [
        .received(FlowEvent(opaque: 0x0102_0304_0506_0708, flow: 1023, context: 7, receivedPosition: 65_000,
                            receivedBytes: 1448, acknowledgedBytes: 2896)),
        .received(FlowEvent(opaque: .max, flow: .max, context: .max, receivedPosition: .max, receivedBytes: .max, acknowledgedBytes: .max)),
    ] + CloseReason.allCases.map { .closed(opaque: 77, flow: 3, reason: $0) } + [.rejected(sampleRejection)]

    static let requests: [SlowPathRequest] = [
        .openListener(port: 80, backlog: 128, opaque: 1),
        .accept(listener: 4, opaque: 2),
        .openConnection(address: IPv4Address(198, 18, 0, 9), port: 11211, opaque: 3),
        .close(flow: 17),
        .move(flow: 17, context: 2),
        .closeListener(listener: 4, opaque: 6),
    ]

    static let events: [SlowPathEvent] = [
        .listenerOpened(opaque: 1, listener: 4, status: .success),
        .listenerOpened(opaque: 1, listener: 0, status: .addressInUse),
        .newConnection(listenerOpaque: 1, listener: 4, remoteAddress: IPv4Address(198, 18, 0, 7), remotePort: 40_000),
        .accepted(sampleConnection),
        .connected(OpenedConnection(opaque: 5, flow: 0, status: .connectionRefused)),
        .closed(opaque: 2, flow: 42, reason: .closedByApplication),
        .moved(opaque: 2, flow: 42, context: 9, status: .success),
        .rejected(EntryRejection(reason: .unknownType, rejectedType: 0x99, rejectedWord: 1, rejectedDetail: 2)),
        .listenerClosed(opaque: 6, listener: 4, status: .success),
    ] + SlowPathStatus.allCases.map { .listenerOpened(opaque: 0, listener: 0, status: $0) }

    /// Encodes over a dirty buffer, decodes, and checks that the entry wrote exactly its `size` bytes.
    private func expectRoundTrip<Entry: ContextQueueEntry & Equatable>(_ entry: Entry, size: Int) throws {
        try withEntryBuffer { buffer in
            entry.encode(to: buffer)
            let decoded = try Entry(decoding: buffer, length: size)
            #expect(decoded == entry)
            #expect(bytes(buffer + size, 64 - size) == [UInt8](repeating: 0xa5, count: 64 - size))
        }
    }

    @Test(arguments: receiveEntries)
    func receiveEntryRoundTrips(_ entry: ReceiveQueueEntry) throws { try expectRoundTrip(entry, size: 32) }

    @Test(arguments: [TransmitRequest(flow: 0, opaque: 0, sendBytes: 1), TransmitRequest(flow: 5, opaque: 77, freeBytes: 9),
                      TransmitRequest(flow: .max, opaque: .max, sendBytes: .max, freeBytes: .max)])
    func transmitRequestRoundTrips(_ request: TransmitRequest) throws { try expectRoundTrip(request, size: 32) }

    @Test(arguments: requests)
    func requestRoundTrips(_ request: SlowPathRequest) throws { try expectRoundTrip(request, size: 48) }

    @Test(arguments: events)
    func eventRoundTrips(_ event: SlowPathEvent) throws { try expectRoundTrip(event, size: 48) }

    /// The bytes match the layout documented in `ContextQueueLayout`, little-endian, addresses in
    /// network order: what a C program on the other side would read.
    @Test func entriesHaveTheDocumentedBytes() {
        withEntryBuffer { buffer in
            ReceiveQueueEntry.received(FlowEvent(opaque: 0x0807_0605_0403_0201, flow: 0x1413_1211, context: 0x2221,
                                                 receivedPosition: 0x3433_3231, receivedBytes: 0x4443_4241,
                                                 acknowledgedBytes: 0x5453_5251)).encode(to: buffer)
            #expect(bytes(buffer, 32) == [0x01, 0x01, 0x21, 0x22, 0x11, 0x12, 0x13, 0x14,
                                          0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                          0x31, 0x32, 0x33, 0x34, 0x41, 0x42, 0x43, 0x44,
                                          0x51, 0x52, 0x53, 0x54, 0, 0, 0, 0])
            TransmitRequest(flow: 0x0403_0201, opaque: 0x3837_3635_3433_3231, sendBytes: 0x1413_1211, freeBytes: 0x2423_2221)
                .encode(to: buffer)
            #expect(bytes(buffer, 32) == [0x11, 0x01, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x11, 0x12, 0x13, 0x14, 0x21, 0x22, 0x23, 0x24,
                                          0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38] + [UInt8](repeating: 0, count: 8))
            SlowPathRequest.openConnection(address: IPv4Address(198, 18, 0, 9), port: 0x1234, opaque: 0x99).encode(to: buffer)
            #expect(bytes(buffer, 16) == [0x23, 0x01, 0x34, 0x12, 198, 18, 0, 9, 0x99, 0, 0, 0, 0, 0, 0, 0])
            SlowPathEvent.accepted(sampleConnection).encode(to: buffer)
            #expect(bytes(buffer, 48) == [0x33, 0x01, 0, 0, 42, 0, 0, 0, 0x01, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde,
                                          0, 0, 1, 0, 0, 0x80, 0, 0, 0, 0x80, 1, 0, 0, 0x40, 0, 0,
                                          198, 18, 0, 2, 0xbb, 0x01, 0x50, 0xc3, 0xa8, 0x05, 0, 0, 0, 0, 0, 0])
            SlowPathEvent.rejected(sampleRejection).encode(to: buffer)
            #expect(bytes(buffer, 24) == [0x37, 0x01, 8, 0, 9, 0, 0, 0, 0, 0, 1, 0, 0x10, 0, 0, 0, 0x11, 0, 0, 0, 3, 0, 0, 0])
        }
    }

    /// Each way an entry can be wrong gives its own error.
    @Test func malformedEntriesGiveTypedErrors() {
        withEntryBuffer { buffer in
            TransmitRequest(flow: 1, opaque: 3, sendBytes: 2).encode(to: buffer)
            #expect(throws: ContextEntryError.wrongLength(31)) { try TransmitRequest(decoding: buffer, length: 31) }
            #expect(throws: ContextEntryError.unknownType(0x11), "a transmit entry on the receive queue") {
                try ReceiveQueueEntry(decoding: buffer, length: 32)
            }
            buffer.storeBytes(of: 2, toByteOffset: 1, as: UInt8.self)
            #expect(throws: ContextEntryError.unsupportedVersion(2)) { try TransmitRequest(decoding: buffer, length: 32) }
            buffer.storeBytes(of: 1, toByteOffset: 1, as: UInt8.self)
            buffer.storeBytes(of: 1, toByteOffset: 31, as: UInt8.self)
            #expect(throws: ContextEntryError.reservedBytesNotZero) { try TransmitRequest(decoding: buffer, length: 32) }

            ReceiveQueueEntry.closed(opaque: 1, flow: 2, reason: .reset).encode(to: buffer)
            buffer.storeBytes(of: UInt16(99).littleEndian, toByteOffset: 2, as: UInt16.self)
            #expect(throws: ContextEntryError.unknownCode(99)) { try ReceiveQueueEntry(decoding: buffer, length: 32) }

            SlowPathRequest.close(flow: 3).encode(to: buffer)
            buffer.storeBytes(of: 1, toByteOffset: 8, as: UInt8.self)
            #expect(throws: ContextEntryError.reservedBytesNotZero, "close carries no opaque") {
                try SlowPathRequest(decoding: buffer, length: 48)
            }
            buffer.storeBytes(of: 0x27, toByteOffset: 0, as: UInt8.self)
            #expect(throws: ContextEntryError.unknownType(0x27)) { try SlowPathRequest(decoding: buffer, length: 48) }
            #expect(throws: ContextEntryError.wrongLength(32)) { try SlowPathRequest(decoding: buffer, length: 32) }

            SlowPathEvent.moved(opaque: 1, flow: 2, context: 3, status: .success).encode(to: buffer)
            buffer.storeBytes(of: UInt16(1000).littleEndian, toByteOffset: 2, as: UInt16.self)
            #expect(throws: ContextEntryError.unknownCode(1000)) { try SlowPathEvent(decoding: buffer, length: 48) }
            buffer.initializeMemory(as: UInt8.self, repeating: 0, count: 64)
            #expect(throws: ContextEntryError.unsupportedVersion(0), "zeroed memory is never an entry") {
                try SlowPathEvent(decoding: buffer, length: 48)
            }
        }
    }

    /// Random bytes of random length, as an untrusted application might write: every decoder
    /// returns a value or a typed error; for the two queues the service consumes, the error is the
    /// one the checking order (length, version, type, reserved bytes) predicts.
    @Test func randomBytesNeverTrap() throws {
        var random = SeededRandom(seed: 0x5eed_c0de)
        withEntryBuffer { buffer in
            for round in 0..<5_000 {
                for offset in 0..<64 { buffer.storeBytes(of: UInt8.random(in: 0...255, using: &random), toByteOffset: offset, as: UInt8.self) }
                // Bias toward plausible headers so the later checks are reached too.
                if round % 2 == 0 { buffer.storeBytes(of: 1, toByteOffset: 1, as: UInt8.self) }
                if round % 4 == 0 { buffer.storeBytes(of: round % 8 == 0 ? 0x11 : 0x23, toByteOffset: 0, as: UInt8.self) }
                let length = round % 3 == 0 ? Int.random(in: 0...64, using: &random) : (round % 3 == 1 ? 32 : 48)
                let type = buffer.load(as: UInt8.self)
                let version = buffer.load(fromByteOffset: 1, as: UInt8.self)

                let transmitExpected: ContextEntryError = length != 32 ? .wrongLength(length)
                    : version != 1 ? .unsupportedVersion(version) : type != 0x11 ? .unknownType(type) : .reservedBytesNotZero
                #expect(throws: transmitExpected) { try TransmitRequest(decoding: buffer, length: length) }

                let requestExpected: ContextEntryError = length != 48 ? .wrongLength(length)
                    : version != 1 ? .unsupportedVersion(version) : !(0x21...0x26).contains(type) ? .unknownType(type) : .reservedBytesNotZero
                #expect(throws: requestExpected) { try SlowPathRequest(decoding: buffer, length: length) }

                #expect(throws: ContextEntryError.self) { try ReceiveQueueEntry(decoding: buffer, length: length) }
                #expect(throws: ContextEntryError.self) { try SlowPathEvent(decoding: buffer, length: length) }
            }
        }
    }
}
