/// How a host reaches a target: one connection per queue, bytes moved by `pump`.
///
/// Contract: `open` connects the queue (its ICReq is already pending); `pump` sends what queues
/// have pending and lends them what arrived, waiting up to `timeoutMilliseconds` for anything to
/// happen; a queue whose connection ended is `close`d (its outstanding commands fail).
public protocol HostTransport: AnyObject {
    func open(_ queue: HostQueue) throws(HostError)
    func pump(timeoutMilliseconds: Int32) throws(HostError)
    func close(_ queue: HostQueue)
}
