/// memcached's UDP framing: every datagram starts with an 8-byte header (big-endian request id,
/// sequence number, datagram count, reserved). A request must fit one datagram (count 1; others
/// are dropped unanswered, as memcached 1.6 does); each request's reply goes out as datagrams of
/// at most 1,400 bytes, numbered 0..<count, carrying the request's id. A reply that would need more
/// datagrams than the 16-bit count can number (about 91 MB) is answered with `tooLargeReply` instead.
public enum UDPFraming {
    public static let headerSize = 8
    public static let largestDatagram = 1400
    /// What a reply too large to number in datagrams becomes.
    static let tooLargeReply = "SERVER_ERROR object too large for cache\r\n"

    /// The request id of a datagram that carries a whole request, or nil (too short, or part of a multi-datagram request).
    public static func requestID(of datagram: UnsafeRawBufferPointer) -> UInt16? {
        guard datagram.count > headerSize else { return nil }
        let total = UInt16(bigEndian: datagram.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        guard total == 1 else { return nil }
        return UInt16(bigEndian: datagram.loadUnaligned(fromByteOffset: 0, as: UInt16.self))
    }

    /// Calls `send` with each datagram of `reply` (built in `scratch`, at least `largestDatagram` bytes).
    public static func datagrams(of reply: UnsafeRawBufferPointer, requestID: UInt16, scratch: UnsafeMutableRawBufferPointer,
                                 _ send: (UnsafeRawBufferPointer) -> Void) {
        let payload = largestDatagram - headerSize
        let count = (reply.count + payload - 1) / payload
        guard count <= Int(UInt16.max) else {
            var error = tooLargeReply
            error.withUTF8 { datagrams(of: UnsafeRawBufferPointer($0), requestID: requestID, scratch: scratch, send) }
            return
        }
        for sequence in 0..<count {
            let start = sequence * payload
            let length = min(payload, reply.count - start)
            scratch.storeBytes(of: requestID.bigEndian, toByteOffset: 0, as: UInt16.self)
            scratch.storeBytes(of: UInt16(sequence).bigEndian, toByteOffset: 2, as: UInt16.self)
            scratch.storeBytes(of: UInt16(count).bigEndian, toByteOffset: 4, as: UInt16.self)
            scratch.storeBytes(of: UInt16(0), toByteOffset: 6, as: UInt16.self)
            (scratch.baseAddress! + headerSize).copyMemory(from: reply.baseAddress! + start, byteCount: length)
            send(UnsafeRawBufferPointer(rebasing: scratch[0..<(headerSize + length)]))
        }
    }
}
