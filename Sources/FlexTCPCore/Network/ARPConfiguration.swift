/// How a network host keeps its neighbour table and resolves addresses with ARP. Times are
/// nanoseconds of the caller's clock.
///
/// Contract: a plain value; `NetworkHost.init` validates it (`validate()`) and throws
/// `NetworkConfigurationError.invalidSetting` for a value out of its range.
package struct ARPConfiguration: Hashable, Sendable {
    /// The most neighbours the table holds (1 ... 65 536); a full table evicts the oldest mapping.
    package var cacheCapacity = 256
    /// How long a confirmed mapping stays reachable; after that it is stale and is re-resolved when used.
    package var reachableTime: UInt64 = 60_000_000_000
    /// ARP requests sent for one resolution before it fails (1 ... 16).
    package var requestAttempts = 3
    /// The wait after the first request; each further wait doubles (0 < interval <= 1 hour).
    /// With 3 attempts and 100 ms: requests at 0, 100 and 300 ms, failure at 700 ms.
    package var firstRetryInterval: UInt64 = 100_000_000
    /// Frames kept per neighbour while its resolution is in progress; more are dropped (0 ... 1024).
    package var waitingFramesPerNeighbour = 4
    /// Frame buffers shared by all waiting queues (0 ... 65 536), allocated up front.
    package var waitingFrameCapacity = 64

    package init() {}

    /// Throws `NetworkConfigurationError.invalidSetting` naming the first setting out of range.
    package func validate() throws(NetworkConfigurationError) {
        guard (1...65_536).contains(cacheCapacity) else { throw .invalidSetting("ARP cache capacity must be 1...65536") }
        guard reachableTime > 0 else { throw .invalidSetting("ARP reachable time must be positive") }
        guard (1...16).contains(requestAttempts) else { throw .invalidSetting("ARP request attempts must be 1...16") }
        guard firstRetryInterval > 0, firstRetryInterval <= 3_600_000_000_000 else {
            throw .invalidSetting("ARP retry interval must be positive and at most one hour")
        }
        guard (0...1024).contains(waitingFramesPerNeighbour) else {
            throw .invalidSetting("frames waiting per neighbour must be 0...1024")
        }
        guard (0...65_536).contains(waitingFrameCapacity) else {
            throw .invalidSetting("waiting frame capacity must be 0...65536")
        }
    }

    /// The wait after request number `requestsSent` (1-based): the first interval, doubled each time.
    func retryInterval(afterRequest requestsSent: Int) -> UInt64 {
        firstRetryInterval << UInt64(requestsSent - 1)
    }
}
