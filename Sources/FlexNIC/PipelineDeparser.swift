import FlexWire

extension Pipeline {
    /// Writes every changed packet field back into the `length` bytes at `frame` (bits outside a field
    /// stay as they were); a field not wholly inside those bytes is skipped, so no field past `length`
    /// is written. `extent` (at least `length`) is how many bytes at `frame` may be read and stored
    /// unchanged: a field whose 8-byte window fits there takes one read-modify-write.
    func writeBack(into frame: UnsafeMutableRawPointer, length: Int, extent: Int) {
        var pending = dirty
        while pending != 0 {
            let slot = pending.trailingZeroBitCount
            pending &= pending &- 1
            // Fields have the first slots, in the parser's order (see `SlotLayout`).
            guard slot < headerSlotsBase else { continue }
            let field = fields + slot
            let header = field.pointee.headerSlot
            guard values[header] != 0 else { continue }
            let position = Int(truncatingIfNeeded: values[header &+ 1]) &+ field.pointee.byteOffset
            guard position &+ field.pointee.byteWidth <= length else { continue }
            let pointer = frame + position
            let mask = field.pointee.mask
            if !field.pointee.littleEndian && position &+ 8 <= extent {
                // One 8-byte big-endian read-modify-write, as the parser reads it.
                let shift = field.pointee.wideShift
                let old = UInt64(bigEndian: pointer.loadUnaligned(as: UInt64.self))
                let updated = old & ~(mask &<< shift) | (values[slot] & mask) &<< shift
                pointer.storeBytes(of: updated.bigEndian, as: UInt64.self)
                continue
            }
            let shift = field.pointee.bitShift
            let old = Self.load(pointer, width: field.pointee.byteWidth, littleEndian: field.pointee.littleEndian)
            let updated = old & ~(mask &<< shift) | (values[slot] & mask) &<< shift
            Self.store(updated, to: pointer, width: field.pointee.byteWidth, littleEndian: field.pointee.littleEndian)
        }
    }

    /// Builds the reply in `replyBuffer` from the frame's bytes up to the end of `header`: field writes,
    /// Ethernet and IPv4 addresses swapped, IPv4 length, TTL and checksum, and the TCP/UDP/DCCP
    /// checksum over the truncated segment. Returns its length (0 when the headers are missing).
    func craftReply(from frame: UnsafeMutableRawPointer, length: Int, truncatingAfter header: Int) -> Int {
        func slots(_ index: Int) -> Int { headerSlotsBase &+ index &* SlotLayout.headerSlotsPerHeader }
        let ethernet = ethernetHeader, ipv4 = ipv4Header
        guard ethernet >= 0, ipv4 >= 0, values[slots(header)] != 0, values[slots(ethernet)] != 0, values[slots(ipv4)] != 0 else { return 0 }
        let replyLength = Int(truncatingIfNeeded: values[slots(header) &+ 1] &+ values[slots(header) &+ 2])
        guard replyLength <= Self.replyCapacity, replyLength <= length else { return 0 }
        replyBuffer.copyMemory(from: frame, byteCount: replyLength)
        writeBack(into: replyBuffer, length: replyLength, extent: Self.replyCapacity)
        let ethernetStart = replyBuffer + Int(truncatingIfNeeded: values[slots(ethernet) &+ 1])
        let destination = MACAddress(loadingFrom: ethernetStart)
        MACAddress(loadingFrom: ethernetStart + 6).store(to: ethernetStart)
        destination.store(to: ethernetStart + 6)
        let ipOffset = Int(truncatingIfNeeded: values[slots(ipv4) &+ 1])
        let ipLength = Int(truncatingIfNeeded: values[slots(ipv4) &+ 2])
        let ip = replyBuffer + ipOffset
        let source = IPv4Address(loadingFrom: ip + 12)
        let target = IPv4Address(loadingFrom: ip + 16)
        target.store(to: ip + 12)
        source.store(to: ip + 16)
        ip.storeBytes(of: UInt16(truncatingIfNeeded: replyLength &- ipOffset).bigEndian, toByteOffset: 2, as: UInt16.self)
        ip.storeBytes(of: 64, toByteOffset: 8, as: UInt8.self)
        ip.storeBytes(of: 0, toByteOffset: 10, as: UInt16.self)
        let headerChecksum = ipLength == 20 ? InternetChecksum.checksumOfIPv4Header(ip) : InternetChecksum.checksum(ip, count: ipLength)
        ip.storeBytes(of: headerChecksum.bigEndian, toByteOffset: 10, as: UInt16.self)
        let segment = ip + ipLength
        let segmentLength = replyLength &- ipOffset &- ipLength
        let protocolNumber = ip.load(fromByteOffset: 9, as: UInt8.self)
        let checksumOffset: Int
        switch protocolNumber {
        case 6: checksumOffset = 16
        case 17:
            checksumOffset = 6
            segment.storeBytes(of: UInt16(truncatingIfNeeded: segmentLength).bigEndian, toByteOffset: 4, as: UInt16.self)
        case 33: checksumOffset = 6
        default: return replyLength
        }
        guard segmentLength >= checksumOffset + 2 else { return replyLength }
        segment.storeBytes(of: 0, toByteOffset: checksumOffset, as: UInt16.self)
        let checksum = InternetChecksum.transportChecksum(segment, length: segmentLength, source: target, destination: source,
                                                          protocolNumber: IPProtocol(rawValue: protocolNumber))
        // UDP sends a computed zero as all ones (RFC 768); zero would mean "no checksum".
        let stored = protocolNumber == 17 && checksum == 0 ? 0xffff : checksum
        segment.storeBytes(of: stored.bigEndian, toByteOffset: checksumOffset, as: UInt16.self)
        return replyLength
    }
}
