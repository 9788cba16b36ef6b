#if canImport(Glibc)
import Glibc
import CFlexShim
import FlexWire

/// A `Port` on a Linux network interface through an AF_XDP socket in copy mode: an XDP program
/// (attached by the port, generic or native as configured) redirects every frame the interface
/// receives on the configured queue into the socket's receive ring; transmitted frames go through
/// its transmit ring. No libbpf or libxdp: raw system calls (CFlexShim's flexshim_xdp.h).
///
/// Contract (beyond `Port`):
/// - Opened in the calling thread's network namespace; the socket and the program stay there, and
///   the program is detached in `deinit` (or when the process ends: the port owns the only link).
///   While the port is open the kernel's own stack sees no frame of that queue. Frames the interface
///   receives on other queues go to the kernel's stack, not to the port: give the interface one
///   receive queue, or steer the traffic (on veth a frame arrives on the queue its sender used).
/// - Received frames are views into UMEM chunks, handed back to the fill ring by
///   `releaseReceived` (a new `receive` first hands back anything still held). Frames carry no
///   offload facts (XDP has none to give in copy mode): checksums are complete.
/// - Frames the kernel could not place (no chunk in the fill ring, a full receive ring) and transmit
///   descriptors it rejected are counted in `receiveDrops` / `transmitDrops` when `statistics` is read.
/// - Transmit slots are UMEM chunks; `commitTransmit` expects the batch to hold exactly the slots
///   reserved since the last commit (any order), queues the frames with a length and gives the
///   other chunks back. Queued frames are sent by `sendto` kicks counted in
///   `statistics.transmitKicks`, when `configuration.kickDeferralPolls` says (never for a commit that
///   queued nothing); the kernel sends up to `framesPerKick` per kick and the port kicks again for the rest.
/// - `receive` makes no system call: it reads the receive ring's indexes.
/// - Not thread-safe: one thread uses a port at a time.
public final class AFXDPPort: Port, KernelRingPort {
    public let interfaceName: String
    public let macAddress: MACAddress
    public let mtu: Int
    public let maximumFrameLength: Int
    public let configuration: AFXDPConfiguration
    /// Frames the kernel sends per kick at most (the transmit ring's size where the kernel lets
    /// the socket raise it — XDP_MAX_TX_SKB_BUDGET, Linux 6.17 — else 32).
    public let framesPerKick: Int

    private let socket: XDPSocket
    private let fillRing: UnsafeMutablePointer<flexshim_xdp_ring>
    private let completionRing: UnsafeMutablePointer<flexshim_xdp_ring>
    private let receiveRing: UnsafeMutablePointer<flexshim_xdp_ring>
    private let transmitRing: UnsafeMutablePointer<flexshim_xdp_ring>
    private let umem: UnsafeMutableRawPointer
    private let chunkMask: UInt64
    private var counters = PortStatistics()
    var kicks: TransmitKickSchedule

    /// Local copies of the indexes this side produces or consumes (the shared ones are published).
    private var receiveConsumer: UInt32 = 0
    private var fillProducer: UInt32 = 0
    private var transmitProducer: UInt32 = 0
    private var completionConsumer: UInt32 = 0
    /// Receive descriptors from `receiveConsumer` on that the last `receive` consumed.
    private var receiveHeld: UInt32 = 0
    /// Transmit chunks no one holds, by UMEM address: a stack of `freeCount`.
    private let freeTransmitChunks: UnsafeMutablePointer<UInt64>
    private var freeCount = 0
    /// Chunks handed out by `reserveTransmit` since the last commit.
    private var transmitReserved = 0
    /// UMEM offsets of the transmit chunks: [first, end).
    private let transmitChunkRange: Range<UInt64>

    /// The most transmit kicks in one commit or poll while the kernel keeps answering that it sent
    /// only part of the ring (it sends a bounded batch per call).
    private static let kickRepeatLimit = 64

    /// Opens the interface named `interfaceName` in the calling thread's network namespace and
    /// attaches the redirect program. Throws `KernelPortError` (no such interface, no permission,
    /// AF_XDP or XDP refused — the operation names the step).
    public init(interfaceName: String, configuration: AFXDPConfiguration = AFXDPConfiguration()) throws(KernelPortError) {
        socket = try XDPSocket.open(interfaceName: interfaceName, configuration: configuration)
        self.interfaceName = interfaceName
        self.configuration = configuration
        macAddress = socket.interface.macAddress
        mtu = socket.interface.mtu
        maximumFrameLength = min(socket.interface.maximumFrameLength, configuration.chunkSize)
        framesPerKick = Int(socket.rings.pointee.transmit_budget)
        fillRing = socket.ring(\.fill)
        completionRing = socket.ring(\.completion)
        receiveRing = socket.ring(\.receive)
        transmitRing = socket.ring(\.transmit)
        umem = socket.umem
        chunkMask = ~UInt64(configuration.chunkSize - 1)
        kicks = TransmitKickSchedule(deferralPolls: configuration.kickDeferralPolls)
        freeTransmitChunks = .allocate(capacity: socket.transmitChunks)
        for index in 0..<socket.transmitChunks {
            freeTransmitChunks[index] = UInt64((socket.receiveChunks + index) * configuration.chunkSize)
        }
        freeCount = socket.transmitChunks
        transmitChunkRange = UInt64(socket.receiveChunks * configuration.chunkSize)..<UInt64(socket.umemLength)
        // Every receive chunk starts in the fill ring.
        for index in 0..<socket.receiveChunks {
            flexshim_xdp_address_slot(fillRing, fillProducer).pointee = UInt64(index * configuration.chunkSize)
            fillProducer &+= 1
        }
        flexshim_xdp_store_index(fillRing.pointee.producer, fillProducer)
    }

    deinit {
        socket.close()
        freeTransmitChunks.deallocate()
    }

    /// Counters, with the kernel's drop counts added (one getsockopt call).
    public var statistics: PortStatistics {
        var statistics = counters
        let kernel = socket.kernelDrops
        statistics.receiveDrops &+= kernel.receive
        statistics.transmitDrops &+= kernel.transmit
        return statistics
    }

    // MARK: Receive

    public func receive(into batch: FrameBatch) -> Int {
        handBackHeldFrames()
        let ready = flexshim_xdp_load_index(receiveRing.pointee.producer) &- receiveConsumer
        let count = min(Int(ready), batch.capacity - batch.count)
        for index in 0..<count {
            let descriptor = flexshim_xdp_descriptor_slot(receiveRing, receiveConsumer &+ UInt32(index)).pointee
            let length = Int(descriptor.len)
            let capacity = Int((descriptor.addr & chunkMask) &+ UInt64(configuration.chunkSize) &- descriptor.addr)
            batch.append(Frame(bytes: umem + Int(descriptor.addr), length: length, capacity: capacity))
            counters.receivedBytes &+= UInt64(length)
        }
        counters.receivedFrames &+= UInt64(count)
        receiveHeld = UInt32(count)
        return count
    }

    public func releaseReceived(_ batch: FrameBatch) {
        handBackHeldFrames()
        batch.removeAll()
    }

    /// Puts the chunks of the frames the last `receive` consumed back into the fill ring, and
    /// frees their receive-ring slots.
    @inline(__always)
    private func handBackHeldFrames() {
        guard receiveHeld > 0 else { return }
        for index in 0..<receiveHeld {
            let address = flexshim_xdp_descriptor_slot(receiveRing, receiveConsumer &+ index).pointee.addr
            flexshim_xdp_address_slot(fillRing, fillProducer &+ index).pointee = address & chunkMask
        }
        fillProducer &+= receiveHeld
        receiveConsumer &+= receiveHeld
        receiveHeld = 0
        flexshim_xdp_store_index(fillRing.pointee.producer, fillProducer)
        flexshim_xdp_store_index(receiveRing.pointee.consumer, receiveConsumer)
    }

    // MARK: Transmit

    public func reserveTransmit(into batch: FrameBatch, count: Int) -> Int {
        if freeCount < count { reclaimCompletedChunks() }
        if freeCount < count && kicks.isPending {
            // Chunks wait in the transmit ring for a kick: send them and look again.
            kick()
            reclaimCompletedChunks()
        }
        let reserved = min(min(count, batch.capacity - batch.count), freeCount)
        for _ in 0..<reserved {
            freeCount &-= 1
            batch.append(Frame(bytes: umem + Int(freeTransmitChunks[freeCount]), length: 0, capacity: maximumFrameLength))
        }
        transmitReserved &+= reserved
        return reserved
    }

    public func commitTransmit(_ batch: FrameBatch) -> Int {
        precondition(batch.count == transmitReserved, "commitTransmit needs exactly the slots reserved since the last commit")
        transmitReserved = 0
        var queued = 0
        for index in 0..<batch.count {
            let frame = batch[index]
            let address = UInt64(bitPattern: Int64(umem.distance(to: frame.bytes)))
            precondition(transmitChunkRange.contains(address) && address & ~chunkMask == 0, "a transmit slot this port did not reserve")
            guard frame.length > 0, frame.length <= maximumFrameLength else {
                if frame.length > 0 { counters.transmitDrops &+= 1 }
                freeTransmitChunks[freeCount] = address
                freeCount &+= 1
                continue
            }
            let slot = flexshim_xdp_descriptor_slot(transmitRing, transmitProducer &+ UInt32(queued))
            slot.pointee = xdp_desc(addr: address, len: UInt32(frame.length), options: 0)
            counters.transmittedBytes &+= UInt64(frame.length)
            queued &+= 1
        }
        batch.removeAll()
        if queued > 0 {
            transmitProducer &+= UInt32(queued)
            flexshim_xdp_store_index(transmitRing.pointee.producer, transmitProducer)
            counters.transmittedFrames &+= UInt64(queued)
        }
        if kicks.committed(queued) { kick() }
        return queued
    }

    /// Asks the kernel to send what the transmit ring holds; it sends a bounded batch per call and
    /// answers EAGAIN when frames remain, so the port calls again (up to `kickRepeatLimit` times).
    func kick() {
        // A driver that sends by itself (zero-copy) may not need the call; copy mode always does.
        guard flexshim_xdp_needs_wakeup(transmitRing) != 0 else {
            kicks.kicked(succeeded: true)
            return
        }
        var attempts = 0
        while attempts < Self.kickRepeatLimit {
            attempts &+= 1
            counters.transmitKicks &+= 1
            if sendto(socket.descriptor, nil, 0, Int32(MSG_DONTWAIT), nil, 0) >= 0 {
                kicks.kicked(succeeded: true)
                return
            }
            let code = errno
            guard code == EAGAIN || code == EBUSY else { break }
            // The kernel's unsent frames are the transmit ring's unconsumed entries.
            if flexshim_xdp_load_index(transmitRing.pointee.consumer) == transmitProducer {
                kicks.kicked(succeeded: true)
                return
            }
        }
        kicks.kicked(succeeded: false)
    }

    /// Moves the chunks the kernel completed from the completion ring to the free stack.
    private func reclaimCompletedChunks() {
        let completed = flexshim_xdp_load_index(completionRing.pointee.producer) &- completionConsumer
        guard completed > 0 else { return }
        for index in 0..<completed {
            freeTransmitChunks[freeCount] = flexshim_xdp_address_slot(completionRing, completionConsumer &+ index).pointee
            freeCount &+= 1
        }
        completionConsumer &+= completed
        flexshim_xdp_store_index(completionRing.pointee.consumer, completionConsumer)
    }

    // MARK: Waiting

    var socketDescriptor: Int32 { socket.descriptor }

    /// The kernel published a receive descriptor after the ones we hold.
    var nextFrameIsReady: Bool {
        flexshim_xdp_load_index(receiveRing.pointee.producer) != receiveConsumer &+ receiveHeld
    }
}
#endif
