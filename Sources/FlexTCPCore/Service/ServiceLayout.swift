/// How flextcpd lays out the memory of its applications (service mode): one slot of `slotLength`
/// bytes per application, all slots back to back in one address range of the service, each its
/// own memfd. A slot holds the application's `contextsPerApplication` context queue sets (each
/// `queueStride` bytes) from its start, and its payload rings (`ringPairsPerApplication` receive +
/// transmit pairs) from `payloadOffset` on.
///
/// The fast path addresses payload as `base + offset` with one base (the range's start), so a ring
/// offset also says whose memory the ring is in; the application maps only its own slot and
/// addresses it as `mapping − slotOffset(application) + offset`.
///
/// Contract: a plain value, validated by `init` (the whole range within 4 GiB, the reach of a
/// 32-bit ring offset); application `a` owns contexts `contexts(ofApplication: a)`.
package struct ServiceLayout: Sendable, Equatable {
    package let applicationCount: Int
    package let contextsPerApplication: Int
    package let capacities: ContextQueueCapacities
    package let queueStride: Int
    package let ringPairsPerApplication: Int
    package let receiveRingSize: UInt32
    package let transmitRingSize: UInt32
    /// Where a slot's payload rings begin (a page multiple).
    package let payloadOffset: Int
    /// Bytes of one slot (a page multiple).
    package let slotLength: Int

    /// Why a layout cannot be made.
    package enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case invalidCount(String)
        case tooLarge(bytes: Int)

        package var description: String {
            switch self {
            case .invalidCount(let what): what
            case .tooLarge(let bytes):
                "the applications' memory would take \(bytes >> 20) MiB, beyond the 4096 MiB ring offsets reach: "
                    + "lower applications, connections per application or the buffer sizes"
            }
        }
    }

    /// Pages are this many bytes (mappings are made of whole pages).
    package static let pageSize = 4096

    package init(applicationCount: Int, contextsPerApplication: Int, capacities: ContextQueueCapacities = ContextQueueCapacities(),
                 ringPairsPerApplication: Int, receiveRingSize: UInt32, transmitRingSize: UInt32) throws(Error) {
        guard (1...1024).contains(applicationCount) else { throw .invalidCount("applications must lie in 1...1024") }
        guard (1...64).contains(contextsPerApplication) else { throw .invalidCount("contexts per application must lie in 1...64") }
        guard (1...65_536).contains(ringPairsPerApplication) else { throw .invalidCount("connections per application must lie in 1...65536") }
        guard applicationCount * contextsPerApplication <= Int(UInt16.max) + 1 else {
            throw .invalidCount("applications × contexts per application must be at most 65536")
        }
        guard let queueStride = ContextQueues.regionSize(for: capacities) else { throw .invalidCount("queue capacities must be powers of two") }
        self.applicationCount = applicationCount
        self.contextsPerApplication = contextsPerApplication
        self.capacities = capacities
        self.queueStride = queueStride
        self.ringPairsPerApplication = ringPairsPerApplication
        self.receiveRingSize = receiveRingSize
        self.transmitRingSize = transmitRingSize
        payloadOffset = Self.roundedToPages(contextsPerApplication * queueStride)
        slotLength = Self.roundedToPages(payloadOffset + ringPairsPerApplication * Int(receiveRingSize + transmitRingSize))
        guard slotLength * applicationCount <= Int(UInt32.max) else { throw .tooLarge(bytes: slotLength * applicationCount) }
    }

    /// Bytes of every slot together (the service's address range).
    package var totalLength: Int { slotLength * applicationCount }

    /// Where application `application`'s slot begins in the range.
    package func slotOffset(_ application: Int) -> Int { application * slotLength }

    /// The global context indices of `application`.
    package func contexts(ofApplication application: Int) -> Range<Int> {
        application * contextsPerApplication ..< (application + 1) * contextsPerApplication
    }

    /// The payload offsets `application`'s rings may have.
    package func payloadWindow(ofApplication application: Int) -> Range<UInt64> {
        UInt64(slotOffset(application) + payloadOffset) ..< UInt64(slotOffset(application) + slotLength)
    }

    /// How the slow path splits the payload region: one pool per application, in its own slot.
    package var ringPartition: PayloadRingPartition {
        PayloadRingPartition(count: applicationCount, contextsPerPartition: contextsPerApplication, stride: slotLength,
                             firstRingOffset: payloadOffset, pairsPerPartition: ringPairsPerApplication)
    }

    private static func roundedToPages(_ bytes: Int) -> Int { (bytes + pageSize - 1) / pageSize * pageSize }
}
