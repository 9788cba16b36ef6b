#if os(Linux)
/// How an `AFXDPPort` sets up its socket, its UMEM and the XDP program that feeds it.
///
/// Contract: a plain value; `AFXDPPort.init` validates it and throws
/// `KernelPortError.invalidConfiguration` for counts or sizes the kernel cannot take.
public struct AFXDPConfiguration: Sendable {
    /// Where the redirect program runs on the interface.
    public enum AttachMode: String, Sendable, CaseIterable {
        /// Generic XDP (XDP_FLAGS_SKB_MODE): after the kernel built its socket buffer; any interface.
        case generic
        /// The driver's XDP (XDP_FLAGS_DRV_MODE): before any socket buffer exists; veth and most NICs.
        case native
    }

    /// UMEM chunks for receiving (rounded up to a power of two: the fill and receive rings' size).
    public var receiveFrameCount: Int = 1024
    /// UMEM chunks for transmitting (rounded up to a power of two: the transmit and completion rings' size).
    public var transmitFrameCount: Int = 1024
    /// Bytes per UMEM chunk, a power of two from 2048 to the page size. A received frame starts
    /// 256 bytes (XDP_PACKET_HEADROOM) into its chunk, so frames up to `chunkSize - 256` bytes arrive.
    public var chunkSize: Int = 2048
    public var attachMode: AttachMode = .generic
    /// The interface queue the socket is bound to (the redirect program serves only this queue; the
    /// others go to the kernel's stack).
    public var queue: UInt32 = 0
    /// When the kernel is asked to send committed frames: see `AFPacketConfiguration.kickDeferralPolls`.
    public var kickDeferralPolls: Int = 0

    public init() {}
}
#endif
