#if canImport(Glibc)
import Glibc
import CFlexShim
import FlexWire

/// A `Port` on a Linux network interface through an AF_PACKET socket with memory-mapped
/// TPACKET_V2 receive and transmit rings.
///
/// Contract (beyond `Port`):
/// - Opened in the calling thread's network namespace; the socket stays there.
/// - Received frames are views into receive ring slots, handed back by `releaseReceived` (a new
///   `receive` first hands back anything still held). Each carries the kernel's facts:
///   `.checksumPartial`: the L4 checksum field holds only the pseudo-header sum (a local sender
///   left it to offload, or GRO merged the frame; the payload is trusted either way);
///   `.checksumVerified`: the kernel checked the L4 checksum (e.g. GRO on the interface);
///   `.superSegment`: a GSO/GRO frame longer than the MTU, with `segmentSize` = the GSO size from
///   the virtio-net header (without `usesVirtioNetHeader`: recognised by TP_STATUS_GSO_TCP or its
///   length, and `segmentSize` is 0).
/// - Frames this host sent on the interface (PACKET_OUTGOING) are never delivered.
/// - Frames the ring truncated, and VLAN-tagged frames whose tag the kernel stripped, are counted
///   in `receiveDrops`, as are frames the kernel dropped for want of a free slot.
/// - Transmit slots are ring slots; `commitTransmit` expects the batch to hold exactly the slots
///   reserved since the last commit, in reservation order. The kernel is asked to send them with
///   one `sendto` for all frames queued (counted in `statistics.transmitKicks`), never for a
///   commit that queued nothing; when, is `configuration.kickDeferralPolls`'s choice.
/// - `receive` makes no system call: it reads the ring's status words.
/// - With `usesVirtioNetHeader`, `transmitChecksumOffload` is `.completesPartial`: a frame marked
///   `.checksumPartial` goes out with NEEDS_CSUM and its TCP checksum's position, and the kernel (or
///   device) completes it. A marked frame the port cannot complete (not IPv4 TCP, or no virtio-net
///   header) is a transmit drop.
/// - Not thread-safe: one thread uses a port at a time. Closes its socket in `deinit`.
public final class AFPacketPort: Port, KernelRingPort {
    public let interfaceName: String
    public let macAddress: MACAddress
    public let mtu: Int
    public let maximumFrameLength: Int
    public let configuration: AFPacketConfiguration
    public let transmitChecksumOffload: TransmitChecksumOffload

    private let socket: PacketSocket
    private let receiveRing: PacketRing
    private let transmitRing: PacketRing
    private let virtioHeaderLength: Int
    private let transmitDataOffset: Int
    private var counters = PortStatistics()

    /// Ring position of the oldest receive slot not yet handed back to the kernel.
    private var receiveHead = 0
    /// Slots from `receiveHead` on that the last `receive` consumed (delivered or skipped).
    private var receiveHeld = 0
    /// Ring position of the first transmit slot not yet queued for sending.
    private var transmitHead = 0
    /// Slots from `transmitHead` on handed out by `reserveTransmit` since the last commit.
    private var transmitReserved = 0
    /// When queued frames are handed to the kernel.
    var kicks: TransmitKickSchedule

    /// Opens the interface named `interfaceName` in the calling thread's network namespace.
    /// Throws `KernelPortError` (no such interface, no permission, ring setup or mmap refused).
    public init(interfaceName: String, configuration: AFPacketConfiguration = AFPacketConfiguration()) throws(KernelPortError) {
        socket = try PacketSocket.open(interfaceName: interfaceName, configuration: configuration)
        self.interfaceName = interfaceName
        self.configuration = configuration
        macAddress = socket.interface.macAddress
        mtu = socket.interface.mtu
        maximumFrameLength = socket.interface.maximumFrameLength
        receiveRing = socket.receiveRing
        transmitRing = socket.transmitRing
        virtioHeaderLength = configuration.usesVirtioNetHeader ? Int(FLEXSHIM_VIRTIO_NET_HDR_LENGTH) : 0
        transmitDataOffset = PacketSocket.transmitDataOffset(configuration)
        transmitChecksumOffload = configuration.usesVirtioNetHeader ? .completesPartial : .none
        kicks = TransmitKickSchedule(deferralPolls: configuration.kickDeferralPolls)
        // Transmit slots carry an all-zero virtio-net header (no GSO); `commitTransmit` sets the checksum request.
        for index in 0..<transmitRing.count {
            (transmitRing.frame(index) + transmitDataOffset - virtioHeaderLength).initializeMemory(
                as: UInt8.self, repeating: 0, count: virtioHeaderLength)
        }
    }

    deinit { socket.close() }

    /// Counters, with the kernel's ring-overflow drops collected at each read (one getsockopt call).
    public var statistics: PortStatistics {
        counters.receiveDrops &+= socket.takeKernelDrops()
        return counters
    }

    /// Number of slots in the receive ring and in the transmit ring (after rounding to whole blocks).
    public var ringFrameCounts: (receive: Int, transmit: Int) { (receiveRing.count, transmitRing.count) }

    // MARK: Receive

    public func receive(into batch: FrameBatch) -> Int {
        handBackHeldFrames()
        let room = batch.capacity - batch.count
        var delivered = 0
        while delivered < room && receiveHeld < receiveRing.count {
            let slot = receiveRing.frame(receiveRing.position(receiveHead, advancedBy: receiveHeld))
            let status = flexshim_tpacket2_status(slot)
            guard status & UInt32(FLEXSHIM_TP_STATUS_USER) != 0 else { break }
            receiveHeld &+= 1
            if let frame = deliverableFrame(in: slot, status: status) {
                batch.append(frame)
                delivered &+= 1
            }
        }
        if delivered == 0 { handBackHeldFrames() }
        return delivered
    }

    public func releaseReceived(_ batch: FrameBatch) {
        handBackHeldFrames()
        batch.removeAll()
    }

    /// The frame in receive slot `slot`, or nil for a frame to skip (outgoing, or a counted drop).
    @inline(__always)
    private func deliverableFrame(in slot: UnsafeMutableRawPointer, status: UInt32) -> Frame? {
        let header = slot.assumingMemoryBound(to: tpacket2_hdr.self)
        let packetType = slot.load(fromByteOffset: Int(FLEXSHIM_TPACKET2_PACKET_TYPE_OFFSET), as: UInt8.self)
        if packetType == UInt8(FLEXSHIM_PACKET_OUTGOING) { return nil }
        let length = Int(header.pointee.tp_len)
        let captured = Int(header.pointee.tp_snaplen)
        guard captured == length, status & UInt32(FLEXSHIM_TP_STATUS_VLAN_VALID) == 0 else {
            counters.receiveDrops &+= 1
            return nil
        }
        let macOffset = Int(header.pointee.tp_mac)
        var frame = Frame(bytes: slot + macOffset, length: length, capacity: receiveRing.geometry.frameSize &- macOffset)
        if status & UInt32(FLEXSHIM_TP_STATUS_CSUMNOTREADY) != 0 { frame.flags.insert(.checksumPartial) }
        if status & UInt32(FLEXSHIM_TP_STATUS_CSUM_VALID) != 0 { frame.flags.insert(.checksumVerified) }
        if virtioHeaderLength > 0 {
            applyVirtioHeader(at: slot + macOffset - virtioHeaderLength, to: &frame)
        } else if length > maximumFrameLength || status & UInt32(FLEXSHIM_TP_STATUS_GSO_TCP) != 0 {
            frame.flags.insert(.superSegment)
        }
        counters.receivedFrames &+= 1
        counters.receivedBytes &+= UInt64(length)
        return frame
    }

    /// Adds the facts of the virtio-net header at `header` (flags, GSO type and size) to `frame`.
    @inline(__always)
    private func applyVirtioHeader(at header: UnsafeMutableRawPointer, to frame: inout Frame) {
        let virtio = header.assumingMemoryBound(to: virtio_net_hdr.self).pointee
        if virtio.flags & UInt8(FLEXSHIM_VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0 { frame.flags.insert(.checksumPartial) }
        if virtio.flags & UInt8(FLEXSHIM_VIRTIO_NET_HDR_F_DATA_VALID) != 0 { frame.flags.insert(.checksumVerified) }
        if virtio.gso_type & ~UInt8(FLEXSHIM_VIRTIO_NET_HDR_GSO_ECN) != UInt8(FLEXSHIM_VIRTIO_NET_HDR_GSO_NONE) {
            frame.flags.insert(.superSegment)
            frame.segmentSize = UInt16(littleEndian: virtio.gso_size)
        }
    }

    /// Returns every slot the last `receive` consumed to the kernel, in ring order.
    @inline(__always)
    private func handBackHeldFrames() {
        var remaining = receiveHeld
        while remaining > 0 {
            flexshim_tpacket2_set_status(receiveRing.frame(receiveHead), UInt32(FLEXSHIM_TP_STATUS_KERNEL))
            receiveHead = receiveRing.position(receiveHead, advancedBy: 1)
            remaining &-= 1
        }
        receiveHeld = 0
    }

    // MARK: Transmit

    public func reserveTransmit(into batch: FrameBatch, count: Int) -> Int {
        let wanted = min(count, batch.capacity - batch.count)
        var reserved = 0
        var kicked = false
        while reserved < wanted && transmitReserved < transmitRing.count {
            let slot = transmitRing.frame(transmitRing.position(transmitHead, advancedBy: transmitReserved))
            guard flexshim_tpacket2_status(slot) == UInt32(FLEXSHIM_TP_STATUS_AVAILABLE) else {
                // The slot may hold a frame still waiting for its kick: send, then look again once.
                guard kicks.isPending && !kicked else { break }
                kick()
                kicked = true
                continue
            }
            batch.append(Frame(bytes: slot + transmitDataOffset, length: 0, capacity: maximumFrameLength))
            transmitReserved &+= 1
            reserved &+= 1
        }
        return reserved
    }

    public func commitTransmit(_ batch: FrameBatch) -> Int {
        precondition(batch.count == transmitReserved, "commitTransmit needs exactly the slots reserved since the last commit")
        var queued = 0
        for index in 0..<batch.count {
            let frame = batch[index]
            precondition(frame.bytes == transmitRing.frame(transmitRing.position(transmitHead, advancedBy: index)) + transmitDataOffset,
                         "transmit slots must stay in reservation order")
            guard frame.length > 0 else { continue }
            let leftPartial = frame.flags.contains(.checksumPartial)
            let checksumPosition = leftPartial && virtioHeaderLength > 0 ? frame.tcpChecksumPosition : nil
            guard frame.length <= maximumFrameLength, checksumPosition != nil || !leftPartial else {
                counters.transmitDrops &+= 1
                continue
            }
            // Close gaps left by empty or dropped slots: the kernel sends slots strictly in ring order.
            let slot = transmitRing.frame(transmitRing.position(transmitHead, advancedBy: queued))
            if slot + transmitDataOffset != frame.bytes {
                (slot + transmitDataOffset).copyMemory(from: frame.bytes, byteCount: frame.length)
            }
            if virtioHeaderLength > 0 {
                requestChecksum(at: checksumPosition, inVirtioHeaderAt: slot + transmitDataOffset - virtioHeaderLength)
            }
            let header = slot.assumingMemoryBound(to: tpacket2_hdr.self)
            header.pointee.tp_len = UInt32(virtioHeaderLength &+ frame.length)
            flexshim_tpacket2_set_status(slot, UInt32(FLEXSHIM_TP_STATUS_SEND_REQUEST))
            counters.transmittedBytes &+= UInt64(frame.length)
            queued &+= 1
        }
        transmitHead = transmitRing.position(transmitHead, advancedBy: queued)
        transmitReserved = 0
        batch.removeAll()
        counters.transmittedFrames &+= UInt64(queued)
        if kicks.committed(queued) { kick() }
        return queued
    }

    /// Sets the virtio-net header of a transmit slot: NEEDS_CSUM with the checksum at `position`
    /// (csum_start, csum_offset), or no checksum request when `position` is nil.
    @inline(__always)
    private func requestChecksum(at position: (start: Int, offset: Int)?, inVirtioHeaderAt header: UnsafeMutableRawPointer) {
        let virtio = header.assumingMemoryBound(to: virtio_net_hdr.self)
        guard let position else {
            virtio.pointee.flags = 0
            return
        }
        virtio.pointee.flags = UInt8(FLEXSHIM_VIRTIO_NET_HDR_F_NEEDS_CSUM)
        virtio.pointee.csum_start = UInt16(truncatingIfNeeded: position.start).littleEndian
        virtio.pointee.csum_offset = UInt16(truncatingIfNeeded: position.offset).littleEndian
    }

    /// Asks the kernel to send every queued slot without waiting for completion.
    func kick() {
        counters.transmitKicks &+= 1
        kicks.kicked(succeeded: send(socket.descriptor, nil, 0, Int32(MSG_DONTWAIT)) >= 0)
    }

    // MARK: Waiting

    var socketDescriptor: Int32 { socket.descriptor }

    /// The kernel handed over the ring slot after the ones we hold.
    var nextFrameIsReady: Bool {
        let next = receiveRing.frame(receiveRing.position(receiveHead, advancedBy: receiveHeld))
        return flexshim_tpacket2_status(next) & UInt32(FLEXSHIM_TP_STATUS_USER) != 0
    }
}
#endif
