#if canImport(Glibc)
import Glibc
#endif

/// One client connection on a Linux socket: its protocol session and unparsed input.
final class LinuxSocketConnection {
    let descriptor: Int32
    let session: ProtocolSession
    let input = ByteBuffer()
    /// The epoll interest now registered.
    var interest: UInt32 = 0

    init(descriptor: Int32, server: CacheServer) {
        self.descriptor = descriptor
        session = ProtocolSession(server: server)
    }

    /// Reads what is waiting (one read of up to 64 KiB) and answers it, unless replies wait
    /// (`ProtocolSession.isPaused`: the bytes stay in the socket). False when the peer closed or failed.
    func readAndProcess(server: CacheServer) -> Bool {
        guard !session.isPaused else { return true }
        let space = input.reserve(64 * 1024)
        let received = read(descriptor, space.baseAddress, space.count)
        if received < 0 { return errno == EAGAIN || errno == EINTR }
        guard received > 0 else { return false }
        input.commit(received)
        server.countRead(received)
        session.process(input)
        return true
    }

    /// Writes pending replies until the socket is full, answering requests a pause held back as
    /// room appears. False on a write error.
    func flush(server: CacheServer) -> Bool {
        let output = session.output
        while !output.isEmpty {
            let pending = output.readable
            let written = send(descriptor, pending.baseAddress, pending.count, Int32(MSG_NOSIGNAL))
            if written < 0 { return errno == EAGAIN || errno == EINTR }
            output.consume(written)
            server.countWritten(written)
            if !session.isPaused && !input.isEmpty { session.process(input) }
        }
        output.shrink()
        input.shrink()
        return true
    }
}
