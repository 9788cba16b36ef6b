@testable import FlexTCP
import Foundation
import Testing

/// A non-contiguous collection larger than the send buffer: copied element by element, across wraps.
private func lazyBytes() -> LazyMapSequence<Range<Int>, UInt8> {
    (0..<150_000).lazy.map { UInt8(truncatingIfNeeded: $0 / 3) }
}

@Suite("Async streams: listeners, inbound chunks, writes", .serialized)
struct AsyncStreamTests {
    @Test("A listener is an AsyncSequence of connections: three connects, three connections, each once", .timeLimit(.minutes(1)))
    func listenerSequence() async throws {
        try await withStackPair { server, client in
            let listener = try await server.listen(on: 7)
            let clients = try await withThrowingTaskGroup(of: TCPConnection.self) { group in
                for _ in 0..<3 { group.addTask { try await client.connect(to: TestAddresses.serverAddress, port: 7) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            var accepted: [TCPConnection] = []
            for try await connection in listener {
                accepted.append(connection)
                if accepted.count == 3 { break }
            }
            #expect(Set(accepted.map(\.remotePort)) == Set(clients.map(\.localPort)))
            #expect(accepted.allSatisfy { $0.localPort == 7 && $0.remoteAddress == IPv4Address(198, 18, 0, 1) })
            #expect(clients.allSatisfy { $0.remotePort == 7 && $0.remoteAddress == TestAddresses.serverAddress })
        }
    }

    @Test("Inbound chunks are the receive buffer's own bytes: each begins where the last ended, inside the stack's payload region",
          .timeLimit(.minutes(1)))
    func chunksLendTheRing() async throws {
        let total = 300_000
        let bytes = (0..<total).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) }
        let (received, addresses, region) = try await withStackPair { server, client in
            let listener = try await server.listen(on: 7)
            let connection = try await client.connect(to: TestAddresses.serverAddress, port: 7)
            async let sent: Void = { try await connection.write(bytes); try await connection.close() }()
            let accepted = try #require(try await listener.next())
            var received: [UInt8] = []
            var addresses: [(start: Int, count: Int)] = []
            for try await chunk in accepted.inbound {
                chunk.withUnsafeBytes { addresses.append((Int(bitPattern: $0.baseAddress), $0.count)) }
                received += chunk
            }
            try await sent
            let attachment = server.runtime.attachment(for: 0)
            return (received, addresses, (Int(bitPattern: attachment.payloadRegion), attachment.payloadRegionSize))
        }
        #expect(received == bytes)
        #expect(addresses.count > 1, "a 300 kB stream through a 64 KiB buffer comes in several chunks")
        #expect(addresses.allSatisfy { $0.start >= region.0 && $0.start + $0.count <= region.0 + region.1 })
        let ringStart = addresses.map(\.start).min()!
        var contiguous = true
        for (previous, next) in zip(addresses, addresses.dropFirst()) where next.start != previous.start + previous.count {
            contiguous = contiguous && next.start == ringStart
        }
        #expect(contiguous, "each chunk starts at the previous one's end, or at the ring's start after a wrap")
    }

    @Test("write takes any Collection of bytes: arrays, slices, UTF-8 views, Data, lazy and repeated collections, a received chunk",
          .timeLimit(.minutes(1)))
    func writesOfCollections() async throws {
        var expected: [UInt8] = [1, 2, 3]
        expected += [9, 8, 7, 6, 5].dropFirst()
        expected += ContiguousArray<UInt8>([42, 43])
        expected += "héllo".utf8
        expected += Data([0xde, 0xad])
        expected += repeatElement(0x5a, count: 70_000)
        expected += lazyBytes()
        expected += [UInt8]("echo".utf8)
        let expectedBytes = expected
        let received = try await withStackPair { server, client in
            let listener = try await server.listen(on: 7)
            let connection = try await client.connect(to: TestAddresses.serverAddress, port: 7)
            let accepted = try #require(try await listener.next())
            async let received = accepted.readToEnd()
            try await connection.write([1, 2, 3] as [UInt8])
            try await connection.write([9, 8, 7, 6, 5].dropFirst() as ArraySlice<UInt8>)
            try await connection.write(ContiguousArray<UInt8>([42, 43]))
            try await connection.write("héllo".utf8)
            try await connection.write(Data([0xde, 0xad]))
            try await connection.write(repeatElement(0x5a, count: 70_000))
            try await connection.write(lazyBytes())
            // A chunk received on another connection, written straight from its receive buffer.
            let echo = try await client.listen(on: 9)
            let sender = try await server.connect(to: IPv4Address(198, 18, 0, 1), port: 9)
            try await sender.write("echo".utf8)
            try await sender.close()
            let echoConnection = try #require(try await echo.next())
            for try await chunk in echoConnection.inbound { try await connection.write(chunk) }
            try await connection.close()
            return try await received
        }
        #expect(received.count == expectedBytes.count)
        #expect(received == expectedBytes)
    }

    @Test("End of stream: the peer's bytes, then nil, and nil again", .timeLimit(.minutes(1)))
    func endOfStream() async throws {
        let (first, second) = try await withStackPair { server, client in
            let listener = try await server.listen(on: 7)
            let connection = try await client.connect(to: TestAddresses.serverAddress, port: 7)
            let accepted = try #require(try await listener.next())
            try await accepted.write("hello".utf8)
            try await accepted.close()
            let first = try await connection.readToEnd()
            var inbound = connection.inbound.makeAsyncIterator()
            let second = try await inbound.next()
            try await connection.close()
            return (first, second.map(Array.init))
        }
        #expect(first == Array("hello".utf8))
        #expect(second == nil)
    }
}
