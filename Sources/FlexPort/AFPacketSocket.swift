#if canImport(Glibc)
import Glibc
import CFlexShim

/// An AF_PACKET socket set up the way `AFPacketPort` uses it: TPACKET_V2, optional virtio-net
/// headers, qdisc bypass, outgoing frames ignored, receive and transmit rings in one mapping,
/// non-blocking, bound to one interface for all EtherTypes.
///
/// Contract: `open` either returns a fully set-up socket or throws and leaves nothing open;
/// `close()` unmaps and closes exactly once (the owner calls it).
struct PacketSocket {
    let descriptor: Int32
    let interface: InterfaceFacts
    let receiveRing: PacketRing
    let transmitRing: PacketRing
    private let mapping: UnsafeMutableRawPointer
    private let mappingLength: Int

    static func open(interfaceName: String, configuration: AFPacketConfiguration) throws(KernelPortError) -> PacketSocket {
        try validate(configuration)
        // Protocol 0 receives nothing until bind, so no frame lands before the rings exist.
        let descriptor = socket(AF_PACKET, Int32(SOCK_RAW.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw .failed("socket(AF_PACKET)", interface: interfaceName, code: errno) }
        do {
            return try configure(descriptor, interfaceName: interfaceName, configuration: configuration)
        } catch {
            Glibc.close(descriptor)
            throw error
        }
    }

    private static func configure(_ descriptor: Int32, interfaceName: String,
                                  configuration: AFPacketConfiguration) throws(KernelPortError) -> PacketSocket {
        let interface = try InterfaceFacts(name: interfaceName, socket: descriptor)
        func set(_ option: Int32, _ value: Int32, _ name: String) throws(KernelPortError) {
            var value = value
            guard setsockopt(descriptor, Int32(FLEXSHIM_SOL_PACKET), option, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                throw .failed("setsockopt(\(name))", interface: interfaceName, code: errno)
            }
        }
        try set(Int32(FLEXSHIM_PACKET_VERSION), Int32(FLEXSHIM_TPACKET_V2), "PACKET_VERSION")
        if configuration.usesVirtioNetHeader { try set(Int32(FLEXSHIM_PACKET_VNET_HDR), 1, "PACKET_VNET_HDR") }
        if configuration.bypassesQueueingDiscipline { try set(Int32(FLEXSHIM_PACKET_QDISC_BYPASS), 1, "PACKET_QDISC_BYPASS") }
        // A malformed transmit frame is skipped instead of stopping the ring.
        try set(Int32(FLEXSHIM_PACKET_LOSS), 1, "PACKET_LOSS")
        do {
            try set(Int32(FLEXSHIM_PACKET_IGNORE_OUTGOING), 1, "PACKET_IGNORE_OUTGOING")
        } catch let error where error.errorNumber == ENOPROTOOPT {
            // Older kernels: AFPacketPort also skips PACKET_OUTGOING frames itself.
        }

        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        let receiveGeometry = PacketRingGeometry(minimumFrameSize: configuration.receiveFrameSize,
                                                 minimumFrameCount: configuration.receiveFrameCount, pageSize: pageSize)
        let transmitGeometry = PacketRingGeometry(
            minimumFrameSize: transmitDataOffset(configuration) + interface.maximumFrameLength,
            minimumFrameCount: configuration.transmitFrameCount, pageSize: pageSize)
        try requestRing(descriptor, Int32(FLEXSHIM_PACKET_RX_RING), receiveGeometry, "PACKET_RX_RING", interfaceName)
        try requestRing(descriptor, Int32(FLEXSHIM_PACKET_TX_RING), transmitGeometry, "PACKET_TX_RING", interfaceName)

        let length = receiveGeometry.byteCount + transmitGeometry.byteCount
        guard let mapping = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0),
              mapping != UnsafeMutableRawPointer(bitPattern: -1) else {
            throw .failed("mmap(rings)", interface: interfaceName, code: errno)
        }
        var address = sockaddr_ll()
        address.sll_family = UInt16(AF_PACKET)
        address.sll_protocol = UInt16(FLEXSHIM_ETH_P_ALL).bigEndian
        address.sll_ifindex = interface.index
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_ll>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            munmap(mapping, length)
            throw .failed("bind", interface: interfaceName, code: code)
        }
        return PacketSocket(descriptor: descriptor, interface: interface,
                            receiveRing: PacketRing(geometry: receiveGeometry, base: mapping),
                            transmitRing: PacketRing(geometry: transmitGeometry, base: mapping + receiveGeometry.byteCount),
                            mapping: mapping, mappingLength: length)
    }

    private static func requestRing(_ descriptor: Int32, _ option: Int32, _ geometry: PacketRingGeometry,
                                    _ name: String, _ interfaceName: String) throws(KernelPortError) {
        var request = tpacket_req(tp_block_size: UInt32(geometry.blockSize), tp_block_nr: UInt32(geometry.blockCount),
                                  tp_frame_size: UInt32(geometry.frameSize), tp_frame_nr: UInt32(geometry.frameCount))
        guard setsockopt(descriptor, Int32(FLEXSHIM_SOL_PACKET), option, &request, socklen_t(MemoryLayout<tpacket_req>.size)) == 0 else {
            throw .failed("setsockopt(\(name))", interface: interfaceName, code: errno)
        }
    }

    private static func validate(_ configuration: AFPacketConfiguration) throws(KernelPortError) {
        guard (1...65_536).contains(configuration.receiveFrameCount), (1...65_536).contains(configuration.transmitFrameCount) else {
            throw .invalidConfiguration("ring frame counts must be 1...65536")
        }
        guard (2_048...1_048_576).contains(configuration.receiveFrameSize) else {
            throw .invalidConfiguration("receiveFrameSize must be 2048...1048576 bytes")
        }
        guard configuration.kickDeferralPolls >= 0 else {
            throw .invalidConfiguration("kickDeferralPolls must not be negative")
        }
    }

    /// Bytes from a transmit ring frame's start to where the Ethernet frame goes.
    static func transmitDataOffset(_ configuration: AFPacketConfiguration) -> Int {
        Int(FLEXSHIM_TPACKET2_TRANSMIT_DATA_OFFSET) + (configuration.usesVirtioNetHeader ? Int(FLEXSHIM_VIRTIO_NET_HDR_LENGTH) : 0)
    }

    /// Kernel drop count since the last call (PACKET_STATISTICS resets it on read); 0 if unreadable.
    func takeKernelDrops() -> UInt64 {
        var counters = tpacket_stats()
        var length = socklen_t(MemoryLayout<tpacket_stats>.size)
        guard getsockopt(descriptor, Int32(FLEXSHIM_SOL_PACKET), Int32(FLEXSHIM_PACKET_STATISTICS), &counters, &length) == 0 else {
            return 0
        }
        return UInt64(counters.tp_drops)
    }

    func close() {
        munmap(mapping, mappingLength)
        receiveRing.deallocate()
        transmitRing.deallocate()
        Glibc.close(descriptor)
    }
}

#endif
