import FlexWire
import Testing

@Suite("Ethernet II and 802.1Q")
struct EthernetTests {
    @Test("untagged and tagged headers round-trip", arguments: [nil, VLANTag(identifier: 100), VLANTag(identifier: 4095, priority: 7, dropEligible: true)])
    func roundTrip(vlan: VLANTag?) throws {
        let repr = EthernetRepr(destination: Sample.macB, source: Sample.macA, etherType: .arp, vlanTag: vlan)
        var bytes = [UInt8](repeating: 0xee, count: repr.headerLength + 4)
        let written = try bytes.withUnsafeMutableBytes { try repr.emit(into: $0) }
        #expect(written == (vlan == nil ? 14 : 18))
        try withBytes(bytes) { base, length in
            let frame = try EthernetFrame(checking: base, length: length)
            #expect(frame.headerLength == written && frame.isTagged == (vlan != nil))
            #expect(frame.etherType == .arp && frame.vlanTag == vlan)
            #expect(frame.payloadLength == 4 && Array(frame.payload) == [0xee, 0xee, 0xee, 0xee])
            #expect(EthernetRepr(parsing: frame) == repr)
        }
        if vlan != nil { #expect(bytes[12] == 0x81 && bytes[13] == 0x00) }
    }

    @Test("tag control information packs priority, DEI and the 12-bit identifier")
    func tagControl() {
        let tag = VLANTag(tagControl: 0xb064)
        #expect(tag.priority == 5 && tag.dropEligible && tag.identifier == 0x064)
        #expect(tag.tagControl == 0xb064)
        #expect(VLANTag(identifier: 0x1fff).tagControl == 0x0fff)
    }

    @Test("a header shorter than 14 bytes, or a tag cut short, is truncated")
    func truncated() {
        let untagged = [UInt8](CapturedFrames.tcpAck.prefix(13))
        #expect(throws: WireError.truncated(.ethernet)) { try withBytes(untagged) { try EthernetFrame(checking: $0, length: $1) } }
        let tagged: [UInt8] = Array(repeating: 0, count: 12) + [0x81, 0x00, 0x00, 0x64, 0x08]
        #expect(throws: WireError.truncated(.ethernet)) { try withBytes(tagged) { try EthernetFrame(checking: $0, length: $1) } }
        #expect(throws: Never.self) { try withBytes(tagged + [0x00]) { try EthernetFrame(checking: $0, length: $1) } }
    }

    @Test("setters write addresses and the (inner) EtherType in place")
    func setters() throws {
        let repr = EthernetRepr(destination: .broadcast, source: .zero, etherType: .arp, vlanTag: VLANTag(identifier: 7))
        var bytes = [UInt8](repeating: 0, count: 18)
        _ = try bytes.withUnsafeMutableBytes { try repr.emit(into: $0) }
        let changed = try withMutableBytes(bytes) { base, length in
            let frame = try EthernetFrame(checking: base, length: length)
            frame.setDestination(Sample.macB)
            frame.setSource(Sample.macA)
            frame.setEtherType(.ipv6)
        }
        try withBytes(changed) { base, length in
            let frame = try EthernetFrame(checking: base, length: length)
            #expect(EthernetRepr(parsing: frame)
                == EthernetRepr(destination: Sample.macB, source: Sample.macA, etherType: .ipv6, vlanTag: VLANTag(identifier: 7)))
        }
    }

    @Test("emitting into a buffer that is too small throws")
    func emitTooSmall() {
        var bytes = [UInt8](repeating: 0, count: 17)
        let repr = Sample.ethernet(vlan: VLANTag(identifier: 1))
        #expect(throws: WireError.bufferTooSmall) { try bytes.withUnsafeMutableBytes { try repr.emit(into: $0) } }
    }
}
