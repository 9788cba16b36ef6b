import FlexWire

/// The echo requests a host sent and still expects replies to, each with its deadline.
///
/// Contract: holds at most `capacity` requests in storage allocated in `init`; a request is
/// identified by destination and sequence number (one identifier per host). A reply matches at
/// most once; a request past its deadline is handed out once by `nextTimedOut(now:)`.
struct EchoRequestTracker {
    struct Request: Equatable {
        var destination: IPv4Address
        var sequenceNumber: UInt16
        var sentAt: UInt64
        var deadline: UInt64
    }

    let capacity: Int
    private(set) var count = 0
    /// No request times out before this time (`UInt64.max` when none is outstanding).
    private(set) var nextDeadline: UInt64 = .max
    private var requests: [Request?]

    init(capacity: Int) {
        precondition(capacity > 0, "an echo tracker needs room for at least one request")
        self.capacity = capacity
        requests = Array(repeating: nil, count: capacity)
    }

    /// True when a request to `destination` with `sequenceNumber` is outstanding.
    func isOutstanding(_ destination: IPv4Address, sequenceNumber: UInt16) -> Bool {
        index(of: destination, sequenceNumber: sequenceNumber) != nil
    }

    /// Records a request; the caller has checked that it is not outstanding and `count < capacity`.
    mutating func add(_ request: Request) {
        precondition(count < capacity && !isOutstanding(request.destination, sequenceNumber: request.sequenceNumber),
                     "echo request already outstanding or tracker full")
        var free = 0
        while requests[free] != nil { free += 1 }
        requests[free] = request
        count += 1
        nextDeadline = min(nextDeadline, request.deadline)
    }

    /// Removes and returns the outstanding request a reply from `source` with `sequenceNumber` answers.
    mutating func match(_ source: IPv4Address, sequenceNumber: UInt16) -> Request? {
        guard let index = index(of: source, sequenceNumber: sequenceNumber) else { return nil }
        defer { requests[index] = nil; count -= 1 }
        return requests[index]
    }

    /// Removes and returns a request whose deadline is at or before `now`, or nil when none is.
    mutating func nextTimedOut(now: UInt64) -> Request? {
        guard now >= nextDeadline else { return nil }
        var earliest = UInt64.max
        for index in requests.indices {
            guard let request = requests[index] else { continue }
            if request.deadline <= now {
                requests[index] = nil
                count -= 1
                return request
            }
            earliest = min(earliest, request.deadline)
        }
        nextDeadline = earliest
        return nil
    }

    private func index(of destination: IPv4Address, sequenceNumber: UInt16) -> Int? {
        for index in requests.indices {
            if let request = requests[index], request.destination == destination, request.sequenceNumber == sequenceNumber {
                return index
            }
        }
        return nil
    }
}
