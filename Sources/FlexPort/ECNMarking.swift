import FlexWire

/// Sets the ECN field of an IPv4 packet in an untagged Ethernet frame to CE (RFC 3168).
///
/// Reads the fields at fixed offsets (EtherType at 12, IPv4 header at 14); to be replaced by the
/// FlexWire IPv4 view. Anything else — another EtherType, a truncated or non-IPv4 header, not-ECT or
/// already CE — is left unchanged.
enum ECNMarking {
    static let ethernetHeaderLength = 14
    static let etherTypeIPv4: UInt16 = 0x0800
    /// Byte offset of the IPv4 header checksum within the IPv4 header.
    static let checksumOffset = 10

    /// Marks `frame` CE if it is ECT(0) or ECT(1) and returns whether it changed; the header
    /// checksum is updated incrementally (RFC 1624).
    static func markCongestionExperienced(_ frame: UnsafeMutableRawPointer, length: Int) -> Bool {
        guard length >= ethernetHeaderLength + 20,
              UInt16(bigEndian: frame.loadUnaligned(fromByteOffset: 12, as: UInt16.self)) == etherTypeIPv4 else { return false }
        let header = frame + ethernetHeaderLength
        let versionAndHeaderLength = header.load(as: UInt8.self)
        let headerLength = Int(versionAndHeaderLength & 0x0f) * 4
        guard versionAndHeaderLength >> 4 == 4, headerLength >= 20, ethernetHeaderLength + headerLength <= length else { return false }
        // The first 16-bit word holds version, header length, DSCP and ECN (its low two bits).
        let oldWord = UInt16(bigEndian: header.loadUnaligned(as: UInt16.self))
        let ecn = oldWord & 0b11
        guard ecn == 0b01 || ecn == 0b10 else { return false }
        let newWord = oldWord | 0b11
        header.storeBytes(of: newWord.bigEndian, as: UInt16.self)
        let checksum = UInt16(bigEndian: header.loadUnaligned(fromByteOffset: checksumOffset, as: UInt16.self))
        let updated = InternetChecksum.updated(checksum, oldValue: oldWord, newValue: newWord)
        header.storeBytes(of: updated.bigEndian, toByteOffset: checksumOffset, as: UInt16.self)
        return true
    }
}
