/// Why a network host dropped a frame (received, or meant for sending). Every frame a host does not
/// consume, answer or send is counted under exactly one reason.
package enum DropReason: Int, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    /// A truncated or inconsistent header at any layer.
    case malformed
    /// A group (multicast) Ethernet source address.
    case invalidSource
    /// For another Ethernet or IPv4 unicast address.
    case notForThisHost
    /// Not ARP or IPv4 (IPv6, VLAN-tagged frames, ...).
    case unsupportedEtherType
    /// Link- or IP-level broadcast or multicast IPv4 traffic: never answered.
    case broadcastOrMulticast
    /// ARP for something other than IPv4 over Ethernet, or an operation other than request and reply.
    case arpUnsupported
    /// An ARP sender hardware address that is zero or a group address.
    case arpInvalidSender
    /// Another host claims this host's IPv4 address.
    case arpAddressConflict
    /// An ARP sender outside the subnet: neither learned nor answered.
    case arpSenderOffSubnet
    /// ARP for another host's address, from a sender not in the table.
    case arpForOtherHost
    case badIPv4Checksum
    /// A fragment for this host that reassembly did not keep (`NetworkHostStatistics.reassembly` says why).
    case ipFragment
    /// A transport this host does not handle here (TCP and UDP belong to the transport).
    case unsupportedProtocol
    case badICMPChecksum
    /// ICMP error messages are counted, never answered.
    case icmpError
    /// ICMP types other than echo request and reply, or echo with a non-zero code.
    case icmpUnsupportedType
    /// An echo reply that answers no outstanding request of this host.
    case unmatchedEchoReply
    /// An echo request from a source this host has no route to (or that is not a single host).
    case noRouteToSource
    /// A reply that would be longer than the port's largest frame.
    case frameTooLarge
    /// The port had no free transmit slot.
    case transmitUnavailable
    /// Every neighbour-table entry was being resolved, so no resolution could start.
    case neighbourTableFull
    /// The neighbour's waiting queue (or the shared waiting-frame pool) was full.
    case waitingQueueFull
    /// The frame waited for a resolution that failed.
    case neighbourUnreachable

    package var description: String {
        switch self {
        case .malformed: "malformed"
        case .invalidSource: "group source address"
        case .notForThisHost: "not for this host"
        case .unsupportedEtherType: "unsupported EtherType"
        case .broadcastOrMulticast: "broadcast or multicast"
        case .arpUnsupported: "unsupported ARP"
        case .arpInvalidSender: "invalid ARP sender"
        case .arpAddressConflict: "ARP address conflict"
        case .arpSenderOffSubnet: "ARP sender outside the subnet"
        case .arpForOtherHost: "ARP for another host"
        case .badIPv4Checksum: "bad IPv4 checksum"
        case .ipFragment: "IPv4 fragment not reassembled"
        case .unsupportedProtocol: "unsupported IP protocol"
        case .badICMPChecksum: "bad ICMP checksum"
        case .icmpError: "ICMP error"
        case .icmpUnsupportedType: "unsupported ICMP type"
        case .unmatchedEchoReply: "unmatched echo reply"
        case .noRouteToSource: "no route to source"
        case .frameTooLarge: "frame too large"
        case .transmitUnavailable: "no transmit slot"
        case .neighbourTableFull: "neighbour table full"
        case .waitingQueueFull: "waiting queue full"
        case .neighbourUnreachable: "neighbour unreachable"
        }
    }
}
