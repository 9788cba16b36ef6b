import FlexWire

/// The outcome of option negotiation in a handshake: what the flow's segments carry and how
/// windows are scaled.
///
/// Contract: window scaling, timestamps, SACK and ECN are on only when both sides asked for them
/// (RFC 7323 §1.3, RFC 2018 §2, RFC 3168 §6.1.1). SACK here means the receiver side: our ACKs report
/// the one out-of-order interval the fast path keeps; SACK blocks the peer sends us are ignored (our
/// sender stays go-back-N, which RFC 2018 §3 allows). A missing MSS option means 536
/// (RFC 9293 §3.7.1); tiny MSS offers are raised to `minimumPeerSegmentSize`.
struct NegotiatedOptions: Hashable {
    static let defaultPeerSegmentSize: UInt16 = 536
    static let minimumPeerSegmentSize: UInt16 = 88

    var peerMaximumSegmentSize: UInt16
    /// Shift applied to the peer's window field, and to ours (both 0 without window scaling).
    var sendWindowShift: UInt8 = 0
    var receiveWindowShift: UInt8 = 0
    /// Both sides sent the window-scale option (the shifts may still be 0).
    var windowScaling = false
    var timestamps = false
    var selectiveAcknowledgment = false
    var explicitCongestionNotification = false
    /// The peer's last TSval (TS.Recent).
    var timestampRecent: UInt32 = 0

    init(peerMaximumSegmentSize: UInt16?) {
        self.peerMaximumSegmentSize = max(peerMaximumSegmentSize ?? Self.defaultPeerSegmentSize, Self.minimumPeerSegmentSize)
    }

    /// What a passive open agrees to for `syn` (ECN: the SYN carries ECE and CWR).
    init(answering syn: TCPSegmentRepr, configuration: SlowPathConfiguration) {
        self.init(agreeingWith: syn, configuration: configuration, peerAsksForECN: syn.flags.isSuperset(of: [.ece, .cwr]))
    }

    /// What an active open ends up with, given the SYN-ACK answering our SYN (ECN: ECE without CWR).
    init(completing synAck: TCPSegmentRepr, configuration: SlowPathConfiguration) {
        self.init(agreeingWith: synAck, configuration: configuration,
                  peerAsksForECN: synAck.flags.contains(.ece) && !synAck.flags.contains(.cwr))
    }

    private init(agreeingWith segment: TCPSegmentRepr, configuration: SlowPathConfiguration, peerAsksForECN: Bool) {
        self.init(peerMaximumSegmentSize: segment.options.maximumSegmentSize)
        if configuration.offersWindowScale, let shift = segment.options.windowScale {
            enableWindowScaling(peerShift: shift, configuration: configuration)
        }
        if configuration.offersTimestamps, let timestamps = segment.options.timestamps {
            self.timestamps = true
            timestampRecent = timestamps.value
        }
        selectiveAcknowledgment = configuration.offersSelectiveAcknowledgment && segment.options.sackPermitted
        explicitCongestionNotification = configuration.offersECN && peerAsksForECN
    }

    /// What a valid SYN cookie restores (window scale, SACK, ECN and timestamps only when the peer used timestamps).
    init(cookie: SYNCookieContents, timestampRecent: UInt32, configuration: SlowPathConfiguration) {
        self.init(peerMaximumSegmentSize: cookie.maximumSegmentSize)
        guard let options = cookie.options else { return }
        timestamps = true
        self.timestampRecent = timestampRecent
        if let shift = options.windowScale {
            enableWindowScaling(peerShift: shift, configuration: configuration)
        }
        selectiveAcknowledgment = options.sackPermitted
        explicitCongestionNotification = options.explicitCongestionNotification
    }

    private mutating func enableWindowScaling(peerShift: UInt8, configuration: SlowPathConfiguration) {
        windowScaling = true
        sendWindowShift = min(peerShift, SYNCookieOptions.maximumWindowScale)
        receiveWindowShift = configuration.receiveWindowShift
    }

    var flowOptions: FlowOptions {
        var options: FlowOptions = []
        if timestamps { options.insert(.timestamps) }
        if selectiveAcknowledgment { options.insert(.selectiveAcknowledgment) }
        if explicitCongestionNotification { options.insert(.explicitCongestionNotification) }
        return options
    }

    /// Payload bytes per segment: the smaller MSS, less the timestamp option every segment carries.
    func segmentSize(localMaximumSegmentSize: UInt16) -> UInt16 {
        min(peerMaximumSegmentSize, localMaximumSegmentSize) - (timestamps ? UInt16(TCPTimestamps.alignedLength) : 0)
    }
}
