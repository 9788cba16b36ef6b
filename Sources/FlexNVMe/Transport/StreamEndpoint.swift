/// One side of an NVMe/TCP connection as a transport drives it (`TargetConnection`, `HostQueue`):
/// received bytes in, pending bytes out.
///
/// Contract: `receive` consumes what it can of the lent bytes (all, except the incomplete tail of a
/// PDU whose data is placed only after its digest matched — lend those again with what follows);
/// `directDestination`/`didPlaceDirectly` let the transport receive large data straight into its
/// destination; once `isFinished`, the transport sends what is pending and closes, then calls `close`.
public protocol StreamEndpoint: AnyObject {
    var outbound: OutboundBuffer { get }
    var isFinished: Bool { get }
    func receive(_ input: inout InputBytes)
    func directDestination(minimum: Int) -> UnsafeMutableRawBufferPointer?
    func didPlaceDirectly(_ byteCount: Int)
    /// The connection is gone (closed by either side or failed).
    func close()
    /// Called now and then (about every 100 ms) for timers such as the keep-alive timeout.
    func checkTimers()
}

extension StreamEndpoint {
    /// No timers.
    public func checkTimers() {}
}

extension TargetConnection: StreamEndpoint {}
