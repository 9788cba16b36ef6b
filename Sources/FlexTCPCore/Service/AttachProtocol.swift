/// The messages of flextcpd's attach protocol, on a SOCK_SEQPACKET UNIX socket (one message per
/// record; the wire format is little-endian 64-bit words, the first `magic`, the second `version`).
///
/// 1. The application connects and sends `hello` (magic, version).
/// 2. The service answers with an `AttachReply`: on success the words of the reply and, as
///    SCM_RIGHTS descriptors, the application's slot memfd, the service's fast-path and slow-path
///    eventfds, then one eventfd per context of the application; on refusal only the status.
/// 3. The socket stays open while the application is attached: its hang-up (exit or crash) is
///    how the service learns the application is gone. Before the service shuts down it sends
///    `goodbye` (magic, version, status `shuttingDown`), then closes.
///
/// A later LD_PRELOAD library attaches the same way (it is the `FlexTCP` library's attach).
package enum AttachProtocol {
    package static let magic: UInt64 = 0x3154_5441_5846_4C46  // "FLFXATT1" read little-endian
    package static let version: UInt64 = 1
    /// Descriptors of a successful reply before the per-context eventfds.
    package static let leadingDescriptors = 3

    /// What the service says.
    package enum Status: UInt64, Sendable {
        case attached = 0
        /// Every application slot is taken (the `applications` limit).
        case full = 1
        /// The hello was not this protocol or version.
        case badHello = 2
        case shuttingDown = 3
        /// The service could not set the slot up (memory).
        case failed = 4
    }

    /// The application's first message.
    package static var hello: [UInt8] { encode([magic, version]) }

    /// True if `bytes` is a hello of this protocol and version.
    package static func isHello(_ bytes: [UInt8]) -> Bool { decode(bytes) == [magic, version] }

    /// The service's last message before it shuts down.
    package static var goodbye: [UInt8] { encode([magic, version, Status.shuttingDown.rawValue]) }

    static func encode(_ words: [UInt64]) -> [UInt8] {
        words.flatMap { word in (0..<8).map { UInt8(truncatingIfNeeded: word >> ($0 * 8)) } }
    }

    static func decode(_ bytes: [UInt8]) -> [UInt64]? {
        guard bytes.count % 8 == 0 else { return nil }
        return stride(from: 0, to: bytes.count, by: 8).map { start in
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[start + $1]) << ($1 * 8) }
        }
    }
}

/// The service's answer to a hello: the status and, when attached, what the application needs to
/// map its slot and build its contexts (`ServiceLayout`'s numbers for its slot).
package struct AttachReply: Equatable, Sendable {
    package var status: AttachProtocol.Status
    package var application = 0
    package var contextsPerApplication = 0
    package var capacities = ContextQueueCapacities()
    package var queueStride = 0
    package var slotOffset = 0
    package var slotLength = 0
    package var payloadWindow: Range<UInt64> = 0..<0
    package var flowCapacity = 0
    /// The service's IPv4 address (network byte order as a number: a.b.c.d = a<<24 | …).
    package var address: UInt32 = 0

    package init(status: AttachProtocol.Status) { self.status = status }

    /// The reply for `application` of `layout` on a stack at `address` with `flowCapacity` flows.
    package init(application: Int, layout: ServiceLayout, flowCapacity: Int, address: UInt32) {
        status = .attached
        self.application = application
        contextsPerApplication = layout.contextsPerApplication
        capacities = layout.capacities
        queueStride = layout.queueStride
        slotOffset = layout.slotOffset(application)
        slotLength = layout.slotLength
        payloadWindow = layout.payloadWindow(ofApplication: application)
        self.flowCapacity = flowCapacity
        self.address = address
    }

    package var encoded: [UInt8] {
        var words = [AttachProtocol.magic, AttachProtocol.version, status.rawValue]
        guard status == .attached else { return AttachProtocol.encode(words) }
        words += [UInt64(application), UInt64(contextsPerApplication), UInt64(capacities.receiveEntries), UInt64(capacities.transmitEntries),
                  UInt64(capacities.requestEntries), UInt64(capacities.eventEntries), UInt64(queueStride), UInt64(slotOffset),
                  UInt64(slotLength), payloadWindow.lowerBound, payloadWindow.upperBound, UInt64(flowCapacity), UInt64(address)]
        return AttachProtocol.encode(words)
    }

    /// Decodes a reply; nil for anything that is not a well-formed reply of this protocol.
    package init?(decoding bytes: [UInt8]) {
        guard let words = AttachProtocol.decode(bytes), words.count >= 3, words[0] == AttachProtocol.magic,
              words[1] == AttachProtocol.version, let status = AttachProtocol.Status(rawValue: words[2]) else { return nil }
        self.status = status
        guard status == .attached else { return }
        guard words.count == 16, words[3...].allSatisfy({ $0 <= UInt64(UInt32.max) * 2 }), words[12] <= words[13] else { return nil }
        let value = words.map { Int($0) }
        application = value[3]
        contextsPerApplication = value[4]
        capacities = ContextQueueCapacities(receiveEntries: value[5], transmitEntries: value[6], requestEntries: value[7], eventEntries: value[8])
        queueStride = value[9]
        slotOffset = value[10]
        slotLength = value[11]
        payloadWindow = words[12]..<words[13]
        flowCapacity = value[14]
        address = UInt32(truncatingIfNeeded: words[15])
    }
}
