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

/// A `StreamEndpoint` whose received bytes its `PDUReader` reads (`TargetConnection`, `HostQueue`).
public protocol PDUReadingEndpoint: StreamEndpoint, PDUHandler {
    /// The connection's reader (where an offload-aware transport marks PDUs: `markCurrentPDU`).
    var pduReader: PDUReader { get }
    /// Queues the termination request for `termination`, counts its reason and finishes.
    func terminate(_ termination: Termination)
}

extension PDUReadingEndpoint {
    /// Reads `input` with the endpoint's reader; nothing after the endpoint finished.
    public func receive(_ input: inout InputBytes) {
        guard !isFinished else { input.advance(input.count); return }
        pduReader.deliver(&input, to: self).map(terminate)
    }

    public func directDestination(minimum: Int) -> UnsafeMutableRawBufferPointer? {
        isFinished ? nil : pduReader.directDestination(minimum: minimum)
    }

    public func didPlaceDirectly(_ byteCount: Int) {
        pduReader.deliverPlaced(byteCount, to: self).map(terminate)
    }
}

extension TargetConnection: PDUReadingEndpoint {}
extension HostQueue: PDUReadingEndpoint {}
