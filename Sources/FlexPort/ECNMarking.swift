import FlexWire

/// Sets the ECN field of an IPv4 packet in an Ethernet frame (untagged or 802.1Q-tagged) to CE
/// (RFC 3168), through the FlexWire views.
///
/// Contract: only a frame whose Ethernet header and IPv4 header pass the views' checks and whose
/// codepoint is ECT(0) or ECT(1) changes; anything else — another EtherType, a truncated or malformed
/// IPv4 header, not-ECT or already CE — is left unchanged. The header checksum is updated incrementally
/// (RFC 1624), so a valid header stays valid. No allocation.
enum ECNMarking {
    /// Marks `frame` CE if it is ECT(0) or ECT(1) and returns whether it changed.
    static func markCongestionExperienced(_ frame: UnsafeMutableRawPointer, length: Int) -> Bool {
        guard let ethernet = try? EthernetFrame(checking: frame, length: length), ethernet.etherType == .ipv4,
              let packet = try? IPv4Packet(checking: ethernet.payloadBase, length: ethernet.payloadLength)
        else { return false }
        switch packet.ecn {
        case .ect0, .ect1:
            packet.updateECN(.ce)
            return true
        case .notECT, .ce:
            return false
        }
    }
}
