import FlexPort
import FlexWire

/// What became of a received frame offered to `NetworkHost.reassemble`.
package enum FragmentVerdict {
    /// Not an IPv4 fragment: handle the frame as it is.
    case whole
    /// A fragment, held for reassembly or dropped (counted): nothing more to do.
    case consumed
    /// The fragment completed this datagram: handle it instead, as if it had arrived whole. It may be
    /// longer than the port's frames and is valid until the next fragment reaches the host.
    case reassembled(Frame)
}

// IPv4 reassembly (RFC 791, RFC 1122 §3.3.2) for this host's address, bounded by `configuration.reassembly`.
extension NetworkHost {
    /// Offers a received frame to reassembly before any other handling (a transport that takes frames
    /// itself calls this first). An untagged IPv4 fragment for this host is held until its datagram is
    /// complete; a fragment not for this host, or malformed, is dropped and counted like any frame.
    package func reassemble(_ frame: Frame, now: UInt64) -> FragmentVerdict {
        guard Self.isIPv4Fragment(frame) else { return .whole }
        counters.receivedFrames &+= 1
        guard let ethernet = acceptedEthernet(frame), let packet = acceptedIPv4(ethernet) else { return .consumed }
        return reassemble(packet, in: ethernet, now: now)
    }

    /// Hands a checked fragment for this host to the reassembler; a fragment it does not keep is
    /// counted as an `ipFragment` drop.
    func reassemble(_ packet: IPv4Packet<UnsafeRawPointer>, in ethernet: EthernetFrame<UnsafeRawPointer>,
                    now: UInt64) -> FragmentVerdict {
        let linkHeader = UnsafeRawBufferPointer(start: ethernet.base, count: ethernet.headerLength)
        switch reassembler.insert(packet, linkHeader: linkHeader, now: now) {
        case .held:
            return .consumed
        case .discarded:
            count(.ipFragment)
            return .consumed
        case let .completed(datagram):
            return .reassembled(datagram)
        }
    }

    /// Datagrams in progress (or remembered as dropped until their timeout) and the bytes they hold.
    package var reassemblyUsage: (datagrams: Int, bytes: Int) { (reassembler.datagramCount, reassembler.heldBytes) }

    /// Untagged IPv4 with more fragments to follow or a non-zero offset (whatever else may be wrong with it).
    static func isIPv4Fragment(_ frame: Frame) -> Bool {
        let ethernetLength = EthernetRepr.untaggedHeaderLength
        let bytes = UnsafeRawPointer(frame.bytes)
        return frame.length >= ethernetLength + IPv4Repr.headerLength
            && UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: EthernetRepr.Offset.etherType, as: UInt16.self))
                == EtherType.ipv4.rawValue
            && UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: ethernetLength + IPv4Repr.Offset.flagsAndFragmentOffset,
                                                     as: UInt16.self)) & 0x3fff != 0
    }
}
