extension InternetChecksum {
    /// The TCP or UDP checksum of the `length` bytes at `segment` (checksum field included as stored)
    /// with the IPv4 pseudo-header. Over a segment whose stored checksum is correct it returns 0.
    @inlinable
    public static func transportChecksum(_ segment: UnsafeRawPointer, length: Int, source: IPv4Address,
                                         destination: IPv4Address, protocolNumber: IPProtocol) -> UInt16 {
        let pseudoHeader = pseudoHeaderSum(source: source, destination: destination,
                                           protocolNumber: protocolNumber.rawValue, length: length)
        return finish(partialSum(segment, count: length, initial: pseudoHeader))
    }
}

extension UnsafeMutableRawPointer {
    /// Copies `bytes` here (the regions may overlap, or be the same).
    @inlinable
    func copyPayload(_ bytes: UnsafeRawBufferPointer) {
        if let source = bytes.baseAddress, bytes.count > 0 { copyMemory(from: source, byteCount: bytes.count) }
    }
}
