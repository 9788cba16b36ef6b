#if os(Linux)
import CFlexShim

/// How an `AFPacketPort` sets up its socket and rings.
///
/// Contract: a plain value; `AFPacketPort.init` validates it and throws
/// `KernelPortError.invalidConfiguration` for counts or sizes the rings cannot have.
public struct AFPacketConfiguration: Sendable {
    /// Receive ring slots wanted (rounded up to fill whole ring blocks).
    public var receiveFrameCount: Int = 64
    /// Transmit ring slots wanted (rounded up to fill whole ring blocks).
    public var transmitFrameCount: Int = 256
    /// Bytes per receive slot, ring header included. Must hold a 64 KiB super-segment plus about
    /// 100 bytes of headers; frames that do not fit are truncated by the kernel and counted as drops.
    public var receiveFrameSize: Int = 65_536 + 256
    /// Ask for a virtio-net header per frame (PACKET_VNET_HDR): checksum-offload state and the
    /// GSO segment size of super-segments. Transmit slots then carry an all-zero header too.
    public var usesVirtioNetHeader: Bool = true
    /// Send straight to the driver, past the queueing discipline (PACKET_QDISC_BYPASS).
    public var bypassesQueueingDiscipline: Bool = true
    /// When the kernel is asked to send committed frames (one `sendto` for everything queued).
    /// 0: at every `commitTransmit` that queued a frame. n > 0: at the n-th `poll()` after the
    /// commit of the oldest frame still waiting, so a loop that polls the port once per pass hands
    /// the frames of up to n passes to the kernel in one call (with 2, an ACK queued in one pass
    /// leaves together with the answer the application gave before the next pass). Waiting frames
    /// also leave before the port is waited on (`waitForFrames`, `armReadiness`) and when a
    /// reservation finds no free transmit slot. Only for callers that poll the port every pass
    /// (the runtime's poll sequence does); others keep 0.
    public var kickDeferralPolls: Int = 0

    public init() {}
}

/// The layout of one TPACKET_V2 ring as the kernel wants it: `blockCount` blocks of `blockSize`
/// bytes (a page multiple), each holding `framesPerBlock` frames of `frameSize` bytes (a multiple of
/// 16); frames never straddle blocks.
struct PacketRingGeometry: Equatable {
    let blockSize: Int
    let blockCount: Int
    let frameSize: Int
    let framesPerBlock: Int

    var frameCount: Int { blockCount * framesPerBlock }
    var byteCount: Int { blockSize * blockCount }

    /// The smallest page-power-of-two block holding at least four minimum frames, its room shared
    /// out evenly among the frames that fit, and enough blocks for `minimumFrameCount` frames.
    init(minimumFrameSize: Int, minimumFrameCount: Int, pageSize: Int) {
        let alignment = Int(FLEXSHIM_TPACKET_ALIGNMENT)
        let alignedMinimum = (minimumFrameSize + alignment - 1) / alignment * alignment
        var blockSize = pageSize
        while blockSize < 4 * alignedMinimum { blockSize *= 2 }
        let framesPerBlock = blockSize / alignedMinimum
        self.blockSize = blockSize
        self.framesPerBlock = framesPerBlock
        self.frameSize = blockSize / framesPerBlock / alignment * alignment
        self.blockCount = (minimumFrameCount + framesPerBlock - 1) / framesPerBlock
    }
}
#endif
