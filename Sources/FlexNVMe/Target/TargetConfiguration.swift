/// What a target serves: one NVM subsystem with namespace 1, besides the discovery subsystem.
public struct TargetConfiguration: Sendable {
    /// The NVM subsystem's NQN.
    public var subsystemNQN: String
    /// The TCP port (reported in the discovery log page).
    public var port: UInt16
    /// The most I/O queues a controller is granted.
    public var maximumIOQueues = 8
    /// Entries per submission queue the target accepts (CAP.MQES + 1).
    public var maximumQueueEntries = 128
    /// MAXH2CDATA: the largest H2CData PDU's data.
    public var maximumH2CData = 64 * 1024
    /// In-capsule data accepted with a command (IOCCSZ; the admin queue takes at least 8 KiB).
    public var inCapsuleDataBytes = 8192
    /// Maximum data transfer size as a power of two of 4 KiB pages (MDTS).
    public var maximumTransferExponent: UInt8 = 6
    /// The serial number Identify reports.
    public var serialNumber = "FLEXNVME0001"

    public init(subsystemNQN: String, port: UInt16) {
        self.subsystemNQN = subsystemNQN
        self.port = port
    }

    /// Bytes of the largest transfer one command may ask for.
    public var maximumTransferBytes: Int { 4096 << Int(maximumTransferExponent) }
}
