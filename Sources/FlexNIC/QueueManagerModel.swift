/// The queue manager (dissertation §3.3): token buckets filled by pipelines and drained into token
/// packets, each carrying its bucket and up to its maximum quantum of tokens.
///
/// Contract: a bucket without a rate is drained as fast as the interconnect allows, round robin
/// among such buckets; a bucket with a rate earns `rate` tokens per second (up to one quantum of
/// credit) and is drained oldest-first; the two kinds take turns. When the interconnect refuses a
/// token packet (back-pressure: the QM delays), its tokens stay in the bucket. Not thread-safe.
public final class QueueManagerModel {
    /// One token packet: bucket and tokens drained.
    public struct TokenPacket: Equatable, Sendable {
        public var bucket: Int
        public var tokens: UInt64

        public init(bucket: Int, tokens: UInt64) {
            self.bucket = bucket
            self.tokens = tokens
        }
    }

    private struct Bucket {
        var tokensPerSecond: UInt64?
        var quantum: UInt64
        var level: UInt64 = 0
        var credit: UInt64 = 0
        var lastCredit: UInt64 = 0
        /// When the bucket last went from empty to non-empty (oldest-first order).
        var waitingSince: UInt64 = 0
    }

    private var buckets: [Bucket] = []
    private var roundRobinNext = 0
    private var limitedTurn = false
    private var now: UInt64 = 0
    public private(set) var delays: UInt64 = 0

    public init() {}

    /// Adds a bucket: `tokensPerSecond` nil for unlimited; drains at most `quantum` tokens per packet.
    public func addBucket(tokensPerSecond: UInt64?, quantum: UInt64) -> Int {
        precondition(quantum > 0, "a quantum must be positive")
        buckets.append(Bucket(tokensPerSecond: tokensPerSecond, quantum: quantum, lastCredit: now))
        return buckets.count - 1
    }

    /// Tokens waiting in `bucket`.
    public func level(_ bucket: Int) -> UInt64 { buckets[bucket].level }

    /// Adds `tokens` to `bucket` (e.g. a packet's size, or K doorbell entries).
    public func fill(_ bucket: Int, tokens: UInt64) {
        guard bucket >= 0 && bucket < buckets.count, tokens > 0 else { return }
        if buckets[bucket].level == 0 { buckets[bucket].waitingSince = now }
        buckets[bucket].level &+= tokens
    }

    /// At time `nanoseconds`, injects up to `maximumPackets` token packets through `inject`, which
    /// returns false when the interconnect refuses (then draining stops). Returns the packets injected.
    public func drain(at nanoseconds: UInt64, maximumPackets: Int, inject: (TokenPacket) -> Bool) -> Int {
        advanceCredit(to: nanoseconds)
        var injected = 0
        while injected < maximumPackets {
            let limitedFirst = limitedTurn
            guard let bucket = limitedFirst ? (nextLimited() ?? nextUnlimited()) : (nextUnlimited() ?? nextLimited()) else { break }
            let tokens = min(buckets[bucket].level, buckets[bucket].quantum,
                             buckets[bucket].tokensPerSecond == nil ? .max : buckets[bucket].credit)
            guard inject(TokenPacket(bucket: bucket, tokens: tokens)) else {
                delays &+= 1
                break
            }
            buckets[bucket].level -= tokens
            if buckets[bucket].tokensPerSecond != nil {
                buckets[bucket].credit -= tokens
                limitedTurn = false
            } else {
                roundRobinNext = (bucket + 1) % buckets.count
                limitedTurn = true
            }
            if buckets[bucket].level > 0 { buckets[bucket].waitingSince = now }
            injected += 1
        }
        return injected
    }

    private func advanceCredit(to nanoseconds: UInt64) {
        guard nanoseconds > now else { return }
        now = nanoseconds
        for index in buckets.indices {
            guard let rate = buckets[index].tokensPerSecond else { continue }
            let elapsed = now - buckets[index].lastCredit
            let earned = rate.multipliedReportingOverflow(by: elapsed).overflow ? UInt64.max : rate * elapsed / 1_000_000_000
            guard earned > 0 else { continue }
            buckets[index].credit = min(buckets[index].credit &+ earned, buckets[index].quantum)
            buckets[index].lastCredit = now
        }
    }

    /// The next unlimited non-empty bucket in round-robin order.
    private func nextUnlimited() -> Int? {
        guard !buckets.isEmpty else { return nil }
        for step in 0..<buckets.count {
            let index = (roundRobinNext + step) % buckets.count
            if buckets[index].tokensPerSecond == nil && buckets[index].level > 0 { return index }
        }
        return nil
    }

    /// The limited bucket with tokens and credit that has waited longest.
    private func nextLimited() -> Int? {
        buckets.indices.filter { buckets[$0].tokensPerSecond != nil && buckets[$0].level > 0 && buckets[$0].credit > 0 }
            .min { buckets[$0].waitingSince < buckets[$1].waitingSince }
    }
}
