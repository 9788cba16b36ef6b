#if canImport(Glibc)
import Glibc
#endif
import FlexPort
import FlexWire

/// Reassembles IPv4 datagrams from their fragments (RFC 791, RFC 815; RFC 1122 §3.3.2), within fixed
/// bounds of memory and time.
///
/// Contract:
/// - Fragments belong together when source, destination, protocol and identification agree. The
///   datagram is complete when its last fragment (MF clear) fixed its length and every byte up to it
///   arrived; `insert` then returns it as one frame: the link header and IP header (options included)
///   of the fragment at offset 0, with the total length set, MF and the offset cleared, DF clear and
///   the header checksum recomputed, then the payload. The frame lives in the reassembler's own buffer
///   (up to 18 + 65 535 bytes, longer than any port's frames) and is valid until the next `insert`.
/// - Hostile input is dropped and counted (`statistics`), never trusted: a fragment without payload,
///   or with more to follow and a payload that is not a multiple of 8 bytes, or one reaching past the
///   largest datagram, is refused. A fragment overlapping data already held (anything but an exact
///   duplicate, which is ignored) or disagreeing with the datagram's known end drops the whole datagram,
///   whose later fragments are then ignored until its timeout (the caution RFC 5722 asks of IPv6).
/// - Bounds: at most `maximumDatagrams` datagrams (a new one evicts the oldest), `byteBudget` bytes held
///   in all (the oldest others are evicted to make room), `maximumFragmentsPerDatagram` pieces each, and
///   `timeout` from a datagram's first fragment to its completion. Memory never grows beyond them.
/// - `now` never decreases; datagrams are kept in arrival order, so the first is the oldest.
/// - Slow path only: a held fragment is copied into an allocation of its own.
final class FragmentReassembler {
    /// What became of one fragment.
    enum Outcome {
        /// Kept until its datagram completes or is dropped.
        case held
        /// Not kept: refused, a duplicate, part of a dropped datagram, or the cause of a drop.
        case discarded
        /// It completed this datagram (valid until the next `insert`).
        case completed(Frame)
    }

    /// What identifies a datagram's fragments (RFC 791): source, destination, protocol and
    /// identification, packed into two words so that comparing is cheap.
    struct DatagramKey {
        let addresses: UInt64
        let protocolAndIdentification: UInt32

        init(_ packet: IPv4Packet<UnsafeRawPointer>) {
            addresses = UInt64(packet.source.value) << 32 | UInt64(packet.destination.value)
            protocolAndIdentification = UInt32(packet.protocolNumber.rawValue) << 16 | UInt32(packet.identification)
        }
    }

    /// One fragment's payload at its byte offset in the datagram.
    struct Piece {
        var offset: Int
        var bytes: [UInt8]
        var end: Int { offset + bytes.count }
    }

    /// A datagram in progress, or a dropped one remembered until its deadline so that its later
    /// fragments are ignored.
    struct PartialDatagram {
        let deadline: UInt64
        /// The link header and IP header of the fragment at offset 0, once it arrived.
        var headers: [UInt8] = []
        var linkHeaderLength = 0
        /// Payload pieces sorted by offset, never overlapping.
        var pieces: [Piece] = []
        /// The payload length, fixed by the last fragment.
        var payloadLength: Int?
        var receivedBytes = 0
        /// What this datagram charges to the byte budget.
        var heldBytes = 0
        var isDropped = false
    }

    /// The longest link header a datagram's frame may start with (a VLAN-tagged Ethernet header).
    static let maximumLinkHeaderLength = EthernetRepr.taggedHeaderLength

    let configuration: ReassemblyConfiguration
    private(set) var statistics = ReassemblyStatistics()
    /// Bytes charged to the budget by all datagrams in progress.
    private(set) var heldBytes = 0
    /// Oldest first (arrival order is deadline order).
    private var datagrams: [PartialDatagram] = []
    /// `datagrams[i].key` at `keys[i]`, for a search that does not touch the datagrams.
    private var keys: [DatagramKey] = []
    private let output: UnsafeMutableRawBufferPointer

    init(configuration: ReassemblyConfiguration) {
        self.configuration = configuration
        datagrams.reserveCapacity(configuration.maximumDatagrams)
        keys.reserveCapacity(configuration.maximumDatagrams)
        output = .allocate(byteCount: Self.maximumLinkHeaderLength + IPv4Repr.maximumTotalLength, alignment: 16)
    }

    deinit { output.deallocate() }

    /// Datagrams in progress or remembered as dropped.
    var datagramCount: Int { datagrams.count }

    /// When the oldest datagram times out (`UInt64.max` when none is held).
    var nextDeadline: UInt64 { datagrams.first?.deadline ?? .max }

    /// Forgets the datagrams whose time is up by `now`, counting those still in progress as timed out.
    func expire(now: UInt64) {
        var expired = 0
        while expired < datagrams.count && datagrams[expired].deadline <= now {
            if !datagrams[expired].isDropped { statistics[.timeout] &+= 1 }
            heldBytes -= datagrams[expired].heldBytes
            expired += 1
        }
        if expired > 0 {
            datagrams.removeFirst(expired)
            keys.removeFirst(expired)
        }
    }

    /// Takes one fragment (`packet` is checked and `packet.isFragment`; `linkHeader` is the frame's
    /// header before it, at most `maximumLinkHeaderLength` bytes). Returns the datagram this
    /// fragment completed, or whether it was held or discarded.
    func insert(_ packet: IPv4Packet<UnsafeRawPointer>, linkHeader: UnsafeRawBufferPointer, now: UInt64) -> Outcome {
        precondition(linkHeader.count <= Self.maximumLinkHeaderLength, "link header longer than the reassembler keeps")
        statistics.fragmentsReceived &+= 1
        expire(now: now)
        let offset = Int(packet.fragmentOffset)
        let length = packet.payloadLength
        let isLast = !packet.moreFragments
        guard length > 0, isLast || length % 8 == 0 else { return refuse(.malformed) }
        guard offset + length <= IPv4Repr.maximumTotalLength - packet.headerLength else { return refuse(.tooBig) }
        let key = DatagramKey(packet)
        var index = self.index(of: key) ?? startDatagram(key, now: now)
        guard !datagrams[index].isDropped else {
            statistics.fragmentsOfDroppedDatagrams &+= 1
            return .discarded
        }
        let payload = UnsafeRawBufferPointer(start: packet.payloadBase, count: length)
        let position: Int
        switch placement(of: payload, at: offset, isLast: isLast, in: datagrams[index]) {
        case let .dropDatagram(reason):
            drop(at: index, reason)
            return .discarded
        case .duplicate:
            statistics.duplicateFragments &+= 1
            return .discarded
        case let .insert(at: found):
            position = found
        }
        let headerBytes = offset == 0 ? linkHeader.count + packet.headerLength : 0
        let cost = length + headerBytes + ReassemblyConfiguration.fragmentOverhead
        guard let room = makeRoom(for: cost, keeping: index) else { return .discarded }
        index = room
        datagrams[index].pieces.insert(Piece(offset: offset, bytes: Self.copy(payload)), at: position)
        if offset == 0 {
            datagrams[index].headers = Self.copy(linkHeader) + Self.copy(UnsafeRawBufferPointer(start: packet.base, count: packet.headerLength))
            datagrams[index].linkHeaderLength = linkHeader.count
        }
        if isLast { datagrams[index].payloadLength = offset + length }
        datagrams[index].receivedBytes += length
        datagrams[index].heldBytes += cost
        heldBytes += cost
        guard datagrams[index].receivedBytes == datagrams[index].payloadLength else { return .held }
        return complete(at: index)
    }

    // MARK: Placing a fragment

    private enum Placement {
        case insert(at: Int)
        case duplicate
        case dropDatagram(ReassemblyDropReason)
    }

    /// Where a fragment goes among the datagram's pieces, or why it cannot go anywhere.
    private func placement(of payload: UnsafeRawBufferPointer, at offset: Int, isLast: Bool,
                           in datagram: PartialDatagram) -> Placement {
        let end = offset + payload.count
        let pieces = datagram.pieces
        if let known = datagram.payloadLength {
            guard isLast ? end == known : end <= known else { return .dropDatagram(.inconsistentEnd) }
        } else if isLast, let last = pieces.last, last.end > end {
            return .dropDatagram(.inconsistentEnd)
        }
        // The first piece at or after `offset` (binary search: pieces are sorted and disjoint).
        var low = 0
        var high = pieces.count
        while low < high {
            let middle = (low + high) / 2
            if pieces[middle].offset < offset { low = middle + 1 } else { high = middle }
        }
        if low < pieces.count && pieces[low].offset == offset && pieces[low].end == end
            && pieces[low].bytes.withUnsafeBytes({ memcmp($0.baseAddress!, payload.baseAddress!, payload.count) }) == 0 {
            return .duplicate
        }
        if low < pieces.count && pieces[low].offset < end { return .dropDatagram(.overlap) }
        if low > 0 && pieces[low - 1].end > offset { return .dropDatagram(.overlap) }
        guard pieces.count < configuration.maximumFragmentsPerDatagram else { return .dropDatagram(.tooManyFragments) }
        return .insert(at: low)
    }

    // MARK: Bounds

    private func index(of key: DatagramKey) -> Int? {
        keys.withUnsafeBufferPointer { keys in
            for index in 0..<keys.count where keys[index].addresses == key.addresses
                && keys[index].protocolAndIdentification == key.protocolAndIdentification {
                return index
            }
            return nil
        }
    }

    /// A new datagram at the end (the newest), evicting the oldest when the limit is reached.
    private func startDatagram(_ key: DatagramKey, now: UInt64) -> Int {
        if datagrams.count == configuration.maximumDatagrams { evictOldest(.tooManyDatagrams) }
        datagrams.append(PartialDatagram(deadline: now &+ configuration.timeout))
        keys.append(key)
        return datagrams.count - 1
    }

    /// Evicts the oldest other datagrams until `cost` more bytes fit the budget; returns the (moved)
    /// index of the datagram at `index`, or nil when it cannot fit even alone (it is dropped).
    private func makeRoom(for cost: Int, keeping index: Int) -> Int? {
        var index = index
        while heldBytes + cost > configuration.byteBudget {
            // Dropped datagrams hold nothing: evicting them would not help.
            guard let victim = oldestHoldingBytes(other: index) else {
                drop(at: index, .overBudget)
                return nil
            }
            statistics[.overBudget] &+= 1
            remove(at: victim)
            if victim < index { index -= 1 }
        }
        return index
    }

    private func oldestHoldingBytes(other excluded: Int) -> Int? {
        datagrams.withUnsafeBufferPointer { datagrams in
            for index in 0..<datagrams.count where index != excluded && datagrams[index].heldBytes > 0 { return index }
            return nil
        }
    }

    private func evictOldest(_ reason: ReassemblyDropReason) {
        if !datagrams[0].isDropped { statistics[reason] &+= 1 }
        remove(at: 0)
    }

    /// Drops the datagram's data and remembers it until its deadline, counting `reason`.
    private func drop(at index: Int, _ reason: ReassemblyDropReason) {
        statistics[reason] &+= 1
        heldBytes -= datagrams[index].heldBytes
        datagrams[index].heldBytes = 0
        datagrams[index].pieces = []
        datagrams[index].headers = []
        datagrams[index].isDropped = true
    }

    private func remove(at index: Int) {
        heldBytes -= datagrams[index].heldBytes
        datagrams.remove(at: index)
        keys.remove(at: index)
    }

    /// The bytes as a new array, copied in one go.
    private static func copy(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: bytes.count) { buffer, initialized in
            if let source = bytes.baseAddress, let target = buffer.baseAddress {
                UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: bytes.count)
            }
            initialized = bytes.count
        }
    }

    private func refuse(_ reason: ReassemblyDropReason) -> Outcome {
        statistics[reason] &+= 1
        return .discarded
    }

    // MARK: Completing

    /// Writes the complete datagram at `index` into the output buffer and forgets it. Its pieces
    /// cover 0 ..< payloadLength exactly (disjoint, within the end, as many bytes as the end), so the
    /// fragment at offset 0 and its headers are there.
    private func complete(at index: Int) -> Outcome {
        let datagram = datagrams[index]
        remove(at: index)
        let ipHeaderLength = datagram.headers.count - datagram.linkHeaderLength
        let totalLength = ipHeaderLength + datagram.receivedBytes
        guard totalLength <= IPv4Repr.maximumTotalLength else { return refuse(.tooBig) }
        let base = output.baseAddress!
        datagram.headers.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        var cursor = datagram.headers.count
        for piece in datagram.pieces {
            piece.bytes.withUnsafeBytes { (base + cursor).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            cursor += piece.bytes.count
        }
        let ip = base + datagram.linkHeaderLength
        ip.storeBytes(of: UInt16(totalLength).bigEndian, toByteOffset: IPv4Repr.Offset.totalLength, as: UInt16.self)
        // The first fragment's header passed this check with a shorter total length.
        guard let packet = try? IPv4Packet(checking: ip, length: totalLength) else { return refuse(.malformed) }
        packet.setFragmentation(dontFragment: false, moreFragments: false, offset: 0)
        packet.fillHeaderChecksum()
        statistics.datagramsReassembled &+= 1
        return .completed(Frame(bytes: base, length: cursor, capacity: output.count))
    }
}
