/// The SYN options a SYN cookie can keep when the peer uses TCP timestamps: the server hides them
/// in the low six bits of its timestamp value, which the peer echoes in the ACK (as Linux does).
///
/// Contract: `encoded` packs the window scale in bits 0...3 (15 for none), SACK-permitted in bit 4
/// and ECN in bit 5; `init(encoded:)` reads back any six-bit value. A window scale above 14 is kept
/// as 14, the largest RFC 7323 allows.
package struct SYNCookieOptions: Hashable, Sendable {
    /// The largest shift RFC 7323 allows; larger offers are treated as this.
    package static let maximumWindowScale: UInt8 = 14
    /// The number of low timestamp bits the options occupy.
    package static let encodedBitCount = 6

    /// The window scale shift the peer offered, or nil when it sent no window scale option.
    package var windowScale: UInt8?
    package var sackPermitted: Bool
    /// True when the SYN asked for ECN (ECE and CWR set).
    package var explicitCongestionNotification: Bool

    package init(windowScale: UInt8?, sackPermitted: Bool, explicitCongestionNotification: Bool) {
        self.windowScale = windowScale.map { min($0, Self.maximumWindowScale) }
        self.sackPermitted = sackPermitted
        self.explicitCongestionNotification = explicitCongestionNotification
    }

    /// Reads the low six bits of `encoded`.
    package init(encoded: UInt32) {
        let scale = UInt8(encoded & Self.noWindowScale)
        self.init(
            windowScale: scale == Self.noWindowScale ? nil : scale,
            sackPermitted: encoded & Self.sackBit != 0,
            explicitCongestionNotification: encoded & Self.ecnBit != 0)
    }

    package var encoded: UInt32 {
        UInt32(windowScale ?? UInt8(Self.noWindowScale))
            | (sackPermitted ? Self.sackBit : 0)
            | (explicitCongestionNotification ? Self.ecnBit : 0)
    }

    /// Replaces the low bits of the server's timestamp clock with the encoded options.
    package func timestampValue(clock: UInt32) -> UInt32 {
        clock & ~Self.encodedMask | encoded
    }

    static let encodedMask: UInt32 = 1 << encodedBitCount - 1
    private static let noWindowScale: UInt32 = 0x0f
    private static let sackBit: UInt32 = 0x10
    private static let ecnBit: UInt32 = 0x20
}
