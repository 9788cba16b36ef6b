import FlexTCPCore

/// The stack configuration every congestion-control experiment host uses: rate-based DCTCP capped at
/// the line rate (with or without time-weighted steps), ECN offered, rings large enough for the
/// bandwidth-delay product, a data-center RTO.
enum CongestionExperimentStack {
    static func configure(_ configuration: inout StackConfiguration, flows: Int, linkBitsPerSecond: UInt64,
                          minimumRetransmissionTimeout: UInt64, timeWeightedSteps: Bool) {
        configuration.flowCapacity = flows + 16
        configuration.backlog = max(128, flows)
        configuration.slowPath.synQueueCapacity = max(128, flows)
        configuration.receiveRingSize = 256 << 10
        configuration.transmitRingSize = 256 << 10
        configuration.slowPath.offersECN = true
        configuration.slowPath.minimumRetransmissionTimeout = minimumRetransmissionTimeout
        configuration.slowPath.congestionControl = try? DCTCPConfiguration(maximumRateBytesPerSecond: Double(linkBitsPerSecond) / 8,
                                                                           timeWeightedSteps: timeWeightedSteps)
    }
}
