import FlexKVS
import Testing

@Suite("memcached UDP framing")
struct UDPFramingTests {
    /// The datagrams `UDPFraming` makes of a reply of `length` bytes: (sequence, count, payload length) each.
    static func frame(length: Int) -> [(sequence: UInt16, count: UInt16, payload: Int, text: String)] {
        let reply = UnsafeMutableRawBufferPointer.allocate(byteCount: length, alignment: 8)
        defer { reply.deallocate() }
        reply.initializeMemory(as: UInt8.self, repeating: UInt8(ascii: "v"))
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: UDPFraming.largestDatagram, alignment: 8)
        defer { scratch.deallocate() }
        var datagrams: [(UInt16, UInt16, Int, String)] = []
        UDPFraming.datagrams(of: UnsafeRawBufferPointer(reply), requestID: 9, scratch: scratch) { datagram in
            #expect(UInt16(bigEndian: datagram.loadUnaligned(fromByteOffset: 0, as: UInt16.self)) == 9)
            datagrams.append((UInt16(bigEndian: datagram.loadUnaligned(fromByteOffset: 2, as: UInt16.self)),
                              UInt16(bigEndian: datagram.loadUnaligned(fromByteOffset: 4, as: UInt16.self)),
                              datagram.count - UDPFraming.headerSize,
                              datagrams.isEmpty ? String(decoding: datagram[UDPFraming.headerSize...], as: UTF8.self) : ""))
        }
        return datagrams
    }

    @Test("A reply goes out in numbered datagrams of at most 1,400 bytes")
    func numbersDatagrams() {
        let datagrams = Self.frame(length: 3_000)
        #expect(datagrams.map(\.sequence) == [0, 1, 2] && datagrams.allSatisfy { $0.count == 3 })
        #expect(datagrams.map(\.payload) == [1_392, 1_392, 216])
    }

    @Test("A reply too large for the 16-bit datagram count is answered with SERVER_ERROR, not a trap")
    func refusesUnnumberableReplies() {
        let datagrams = Self.frame(length: 65_536 * 1_392)
        #expect(datagrams.count == 1 && datagrams[0].count == 1)
        #expect(datagrams[0].text == "SERVER_ERROR object too large for cache\r\n")
    }
}
