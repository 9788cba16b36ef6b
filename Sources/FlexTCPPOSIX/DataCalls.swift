import CFlexPOSIX
import FlexTCP
#if canImport(Glibc)
import Glibc
#endif

// Moving bytes: read/recv/recvfrom/recvmsg/readv, write/send/sendto/sendmsg/writev and sendfile
// on FlexTCP descriptors, straight between the program's buffers (or file) and the connection's
// rings. Blocking calls sleep in `Engine.block`; MSG_DONTWAIT, MSG_PEEK, MSG_WAITALL and
// MSG_NOSIGNAL mean what they mean on Linux, and EPIPE raises SIGPIPE unless MSG_NOSIGNAL.

/// The most iovecs one call takes (Linux's UIO_MAXIOV).
let maximumIovecs: Int32 = 1024

/// The total length of `count` iovecs, or a negated errno value as Linux answers: EINVAL for a
/// count outside 0...1024 or a total beyond Int.max, EFAULT for no array.
private func totalLength(_ pieces: UnsafePointer<iovec>?, _ count: Int32) -> Int {
    guard count >= 0, count <= maximumIovecs else { return -Int(EINVAL) }
    guard count > 0 else { return 0 }
    guard let pieces else { return -Int(EFAULT) }
    var total = 0
    for index in 0..<Int(count) {
        let (sum, overflow) = total.addingReportingOverflow(pieces[index].iov_len)
        guard !overflow, pieces[index].iov_len >= 0 else { return -Int(EINVAL) }
        total = sum
    }
    return total
}

/// Copies bytes between a ring span and iovecs, starting `offset` bytes into the iovecs;
/// returns how many (the smaller of the span and the iovecs' room after `offset`).
private func copy(_ span: RingSpan, _ pieces: UnsafePointer<iovec>, _ count: Int32, offset: Int, intoSpan: Bool) -> Int {
    var skip = offset
    var moved = 0
    for index in 0..<Int(count) {
        let piece = pieces[index]
        guard let base = piece.iov_base, piece.iov_len > 0 else { continue }
        if skip >= piece.iov_len {
            skip -= piece.iov_len
            continue
        }
        let buffer = UnsafeMutableRawBufferPointer(start: base + skip, count: piece.iov_len - skip)
        skip = 0
        let done: Int
        if intoSpan {
            done = span.copyBytes(from: UnsafeRawBufferPointer(buffer), at: moved)
        } else {
            done = span.dropFirstCopy(moved, into: buffer)
        }
        moved += done
        if done < buffer.count || moved >= span.count { break }
    }
    return moved
}

extension RingSpan {
    /// Copies the span's bytes after the first `skipped` into `destination`; returns how many.
    fileprivate func dropFirstCopy(_ skipped: Int, into destination: UnsafeMutableRawBufferPointer) -> Int {
        let count = Swift.min(destination.count, self.count - skipped)
        guard count > 0, let target = destination.baseAddress else { return 0 }
        var copied = 0
        var position = skipped
        for piece in [leadingPiece, trailingPiece] where copied < count {
            if position >= piece.count {
                position -= piece.count
                continue
            }
            let length = Swift.min(piece.count - position, count - copied)
            (target + copied).copyMemory(from: piece.baseAddress! + position, byteCount: length)
            copied += length
            position = 0
        }
        return copied
    }
}

@_cdecl("flexposix_swift_receive")
func flexposixReceive(_ descriptor: Int32, _ pieces: UnsafePointer<iovec>?, _ count: Int32, _ flags: Int32) -> Int {
    withSocket(descriptor) { engine, socket in
        let total = totalLength(pieces, count)
        guard let pieces, total > 0 else { return min(0, total) }
        let peek = flags & Int32(MSG_PEEK) != 0
        let waitAll = flags & Int32(MSG_WAITALL) != 0
        let dontWait = flags & Int32(MSG_DONTWAIT) != 0 || socket.isNonBlocking
        let limit = deadline(after: socket.receiveTimeout)
        var copied = 0
        /// MSG_PEEK with MSG_WAITALL waits, as on Linux, until the whole length can be peeked (or the
        /// stream ends, the wait fails or may not wait): then it peeks what there is. A length beyond the
        /// receive ring can never be peeked whole (Linux would grow its buffer): a full ring counts as whole.
        func peeksWhole(_ connection: Connection) -> Bool {
            !(peek && waitAll) || connection.unfreedByteCount >= min(total, connection.receiveCapacity)
                || connection.hasStreamEnded || socket.isReadShut
        }
        while true {
            switch socket.phase {
            case .connected(let connection):
                if connection.isOpen && connection.unfreedByteCount > 0 && peeksWhole(connection) {
                    let moved = copy(connection.unfreedBytes, pieces, count, offset: copied, intoSpan: false)
                    if !peek {
                        engine.context?.freeReceivedBytes(moved, of: connection)
                        // A small free rides on the next hand-over (the answer's send, or the wait
                        // before the next sleep: one wake-up of the service, not two); a large one
                        // reopens the window at once.
                        if moved >= connection.receiveCapacity / 4 { engine.context?.flush() }
                        engine.updateMirror(socket)
                    }
                    copied += moved
                    if !waitAll || peek || copied == total { return copied }
                    continue
                }
                if socket.isReadShut { return copied }
                if connection.hasStreamEnded || !connection.isOpen {
                    if copied > 0 || connection.hasPeerFinished { return copied }
                    let error = socket.takePendingError()
                    engine.updateMirror(socket)
                    return -Int(error)
                }
            case .connecting:
                break
            case .fresh, .opening, .listening:
                return -Int(ENOTCONN)
            case .failed:
                return -Int(socket.takePendingError(or: ENOTCONN))
            }
            if copied > 0 && !waitAll { return copied }
            let waited = dontWait ? -Int(EAGAIN) : engine.block(on: socket, deadline: limit, restartable: socket.receiveTimeout < 0)
            if waited != 0 {
                if copied == 0, peek, case .connected(let connection) = socket.phase, connection.isOpen, connection.unfreedByteCount > 0 {
                    return copy(connection.unfreedBytes, pieces, count, offset: 0, intoSpan: false)
                }
                return copied > 0 ? copied : waited
            }
        }
    }
}

/// Sends `total` bytes that `fill` writes into send space (`fill(span, sentSoFar)` returns how
/// many it wrote, or a negated errno value); blocking sockets wait for space until all is sent.
private func transmit(_ engine: Engine, _ socket: PosixSocket, total: Int, flags: Int32,
                      fill: (RingSpan, Int) -> Int) -> Int {
    guard total > 0 else { return 0 }
    let dontWait = flags & Int32(MSG_DONTWAIT) != 0 || socket.isNonBlocking
    let limit = deadline(after: socket.sendTimeout)
    var sent = 0
    while true {
        switch socket.phase {
        case .connected(let connection):
            let error = socket.takePendingError()
            if error != 0 { return sent > 0 ? sent : -Int(error) }
            let reset = connection.hasStreamEnded && !connection.hasPeerFinished
            if socket.isWriteShut || connection.isClosing || !connection.isOpen || reset {
                return sent > 0 ? sent : brokenPipe(engine, flags)
            }
            guard let context = engine.context else { return -Int(ENETDOWN) }
            let space = connection.sendSpace
            if space > 0 {
                let span = context.reserveSendSpace(min(space, total - sent), on: connection)
                let filled = fill(span, sent)
                if filled < 0 { return sent > 0 ? sent : filled }
                context.sendReserved(filled, on: connection)
                context.flush()
                sent += filled
                if sent == total || filled < span.count { return sent }
                continue
            }
            engine.wantSendSpace(connection)
        case .connecting:
            break
        case .fresh, .opening, .listening:
            return brokenPipe(engine, flags)
        case .failed:
            let error = socket.takePendingError()
            return error != 0 ? -Int(error) : brokenPipe(engine, flags)
        }
        if dontWait { return sent > 0 ? sent : -Int(EAGAIN) }
        let waited = engine.block(on: socket, deadline: limit, restartable: socket.sendTimeout < 0)
        if waited != 0 { return sent > 0 ? sent : waited }
    }
}

/// EPIPE, with SIGPIPE owed unless MSG_NOSIGNAL.
private func brokenPipe(_ engine: Engine, _ flags: Int32) -> Int {
    if flags & Int32(MSG_NOSIGNAL) == 0 { engine.owesSigpipe = true }
    return -Int(EPIPE)
}

@_cdecl("flexposix_swift_send")
func flexposixSend(_ descriptor: Int32, _ pieces: UnsafePointer<iovec>?, _ count: Int32, _ flags: Int32) -> Int {
    withSocket(descriptor) { engine, socket in
        let total = totalLength(pieces, count)
        guard let pieces, total > 0 else { return min(0, total) }
        return transmit(engine, socket, total: total, flags: flags) { span, sent in
            copy(span, pieces, count, offset: sent, intoSpan: true)
        }
    }
}

/// sendfile moves the source's bytes through a buffer of this size.
private let sendfileChunk = 65536

/// sendfile: the source is read with the library's lock released (a slow file or pipe blocks no
/// other thread), a chunk at a time, and each chunk is sent as write would send it. Bytes read but
/// not sent (a non-blocking socket out of space) are given back: not counted in `*offset`, or the
/// source's file position moved back. The C half refuses a FlexTCP socket as the source (EINVAL).
@_cdecl("flexposix_swift_sendfile")
func flexposixSendfile(_ descriptor: Int32, _ source: Int32, _ offset: UnsafeMutablePointer<off_t>?, _ count: Int) -> Int {
    let count = count < 0 ? Int.max : count  // a size_t beyond Int.max
    let start = offset?.pointee ?? 0
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: sendfileChunk, alignment: 16)
    defer { buffer.deallocate() }
    var sent = 0
    var failure = 0
    while sent < count {
        let wanted = min(count - sent, sendfileChunk)
        let got = offset != nil ? flexposix_real_pread(source, buffer, wanted, start + off_t(sent))
            : flexposix_real_read(source, buffer, wanted)
        if got < 0 { failure = -Int(errno) }
        if got <= 0 { break }
        var piece = iovec(iov_base: buffer, iov_len: got)
        let moved = flexposixSend(descriptor, &piece, 1, 0)
        if moved < got, offset == nil { lseek(source, -off_t(got - max(0, moved)), SEEK_CUR) }
        if moved < 0 { failure = moved }
        if moved <= 0 { break }
        sent += moved
        if moved < got || got < wanted { break }
    }
    offset?.pointee = start + off_t(sent)
    return sent > 0 ? sent : failure
}
