/// The resource bounds of the modelled NIC that the validator enforces.
public struct NICLimits: Sendable, Equatable {
    public var maximumStages = 32
    public var maximumActionsPerStage = 16
    public var maximumPrimitivesPerAction = 16
    public var maximumTableSize = 65_536
    public var maximumKeys = 4
    public var maximumParameters = 4
    /// DMA requests one packet may issue (dissertation Table 3.1: "I assume 2-4").
    public var maximumDMARequests = 4
    /// 64-bit registers over all register arrays.
    public var maximumRegisterWords = 1 << 20
    /// Packet fields a program may use (slots of the field buffer that are written back); the
    /// validator never allows more than `packetFieldCeiling`, whatever this says.
    public var maximumPacketFields = 64
    /// The most packet fields any program may use: the pipeline marks written fields in a 64-bit mask.
    public static let packetFieldCeiling = 64
    /// Bytes of fields one hash may cover (the Toeplitz key covers 36 input bytes).
    public var maximumHashFieldBytes = 36
    public var maximumHashPayloadBytes = 2_048

    public init() {}
}
