import FlexWire

/// Fixed parameters of one fast path instance.
///
/// Contract: `flowCapacity` bounds every per-flow table; `eventCapacity` bounds the events one
/// receive batch or transmit step can produce (extra events are counted as `eventOverflows`, and
/// the bytes they would announce stay visible through the next event of the same flow).
/// `receiveWindowBudget` (nil: none) bounds the windows advertised over all flows; see
/// `FastPath.receiveWindowLimit`.
package struct FastPathConfiguration: Sendable {
    package var localAddress: IPv4Address
    package var localMAC: MACAddress
    package var flowCapacity: Int
    package var eventCapacity: Int
    /// Frames reserved from the port per transmit batch (ACKs and data segments).
    package var transmitBatchSize: Int
    /// Verify IPv4 and TCP checksums unless the port says the kernel already did (or left them to offload).
    package var verifiesChecksums: Bool
    /// Bytes all flows together may be told they can send: what the port can hold unread.
    package var receiveWindowBudget: UInt64?
    /// Hold the ACK of an in-order segment for one round, so that it rides on the answer or on the
    /// next segment's ACK (`DelayedAcknowledgments`); false: every data segment is ACKed at once.
    package var delaysAcknowledgments: Bool
    /// The flow table's hash key; nil (production): a fresh random key per fast path. A fixed key
    /// makes probe lengths, and so instruction counts, repeat from run to run (benchmarks, tests).
    package var flowTableKey: FlowKeyHasher?

    package init(localAddress: IPv4Address, localMAC: MACAddress, flowCapacity: Int = 1024, eventCapacity: Int = 256,
                transmitBatchSize: Int = 32, verifiesChecksums: Bool = true, receiveWindowBudget: UInt64? = nil,
                delaysAcknowledgments: Bool = true) {
        self.localAddress = localAddress
        self.localMAC = localMAC
        self.flowCapacity = flowCapacity
        self.eventCapacity = eventCapacity
        self.transmitBatchSize = transmitBatchSize
        self.verifiesChecksums = verifiesChecksums
        self.receiveWindowBudget = receiveWindowBudget
        self.delaysAcknowledgments = delaysAcknowledgments
    }
}
