/// Follows the NVMe/TCP PDUs of one direction of a byte stream and, when armed for a PDU type, flips
/// one data byte (the middle one) of the next PDU of that type that carries data and a data digest:
/// the digest no longer matches, everything else stays well-formed.
///
/// Contract: bytes go through `pass` in stream order, in chunks of any size, with the type to corrupt
/// (shared by several streams: the first PDU of that type on any of them takes it and sets it to nil).
struct PDUStreamCorrupter {
    private var header: [UInt8] = []
    private var position = 0
    private var pduLength = 0
    private var corruptAt: Int?

    /// Passes `bytes` on (changing at most one); true if this chunk carried the corruption.
    mutating func pass(_ bytes: UnsafeMutableRawBufferPointer, armedType: inout UInt8?) -> Bool {
        var corrupted = false
        for index in 0..<bytes.count {
            if position < 8 {
                header.append(bytes[index])
                position += 1
                if position == 8 { startPDU(&armedType) }
            } else {
                if position == corruptAt {
                    bytes[index] ^= 0x5A
                    corruptAt = nil
                    corrupted = true
                }
                position += 1
            }
            if position >= 8 && position == pduLength {
                position = 0
                header.removeAll(keepingCapacity: true)
            }
        }
        return corrupted
    }

    /// The common header (type, flags, HLEN, PDO, PLEN) is in: decides whether this PDU gets corrupted.
    private mutating func startPDU(_ armedType: inout UInt8?) {
        pduLength = Int(header[4]) | Int(header[5]) << 8 | Int(header[6]) << 16 | Int(header[7]) << 24
        let hasDataDigest = header[1] & 0x02 != 0
        let dataOffset = Int(header[3])
        let dataLength = pduLength - dataOffset - 4
        guard let type = armedType, header[0] == type, hasDataDigest, dataOffset >= 8, dataLength > 0 else { return }
        corruptAt = dataOffset + dataLength / 2
        armedType = nil
    }
}
