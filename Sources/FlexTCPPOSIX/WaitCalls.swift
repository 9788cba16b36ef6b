import CFlexPOSIX
#if canImport(Glibc)
import Glibc
#endif

// poll/ppoll (and select/pselect, which the C half turns into poll) and epoll on sets holding
// FlexTCP descriptors. FlexTCP readiness is computed here (`PosixSocket.readiness`); the kernel
// waits for the other descriptors together with a wake-up eventfd that any change of a watched
// FlexTCP socket signals (the thread's own for poll, the set's for epoll), so no change between
// the look and the sleep is lost, and with the context's signal (`Engine.beginContextWatch`), so
// that the waiting thread itself handles what the service publishes.

private let alwaysReported = UInt32(POLLERR) | UInt32(POLLHUP) | UInt32(POLLNVAL)

/// Milliseconds until `deadline` for epoll (rounded up; -1 for none).
private func milliseconds(until deadline: Int64) -> Int32 {
    guard deadline >= 0 else { return -1 }
    let left = max(0, deadline - monotonicNow())
    return Int32(clamping: (left + 999_999) / 1_000_000)
}

/// A FlexTCP socket, or a parent's one in a forked child (poll reports POLLNVAL for it).
private func isFlexTCP(_ descriptor: Int32) -> Bool {
    let kind = flexposix_kind(descriptor)
    return kind == Int32(FLEXPOSIX_SOCKET.rawValue) || kind == Int32(FLEXPOSIX_INHERITED.rawValue)
}

@_cdecl("flexposix_swift_poll")
func flexposixPoll(_ fds: UnsafeMutablePointer<pollfd>?, _ count: nfds_t, _ timeout: Int64, _ mask: UnsafePointer<sigset_t>?) -> Int32 {
    guard let fds else { return count == 0 ? 0 : -EFAULT }
    let limit = deadline(after: timeout)
    let wake = flexposix_thread_wake()
    var kernel: [pollfd] = []
    var kernelIndices: [Int] = []
    for index in 0..<Int(count) {
        if !isFlexTCP(fds[index].fd) {
            kernel.append(fds[index])
            kernelIndices.append(index)
        }
    }
    kernel.append(pollfd(fd: wake, events: Int16(POLLIN), revents: 0))
    kernel.append(pollfd(fd: -1, events: Int16(POLLIN), revents: 0))  // the context's signal while watching
    let wakeEntry = kernel.count - 2
    while true {
        flexposix_lock()
        let engine = Engine.current
        engine.pollContext()
        var ready = 0
        var watched: [PosixSocket] = []
        for index in 0..<Int(count) where isFlexTCP(fds[index].fd) {
            guard let socket = engine.sockets[fds[index].fd] else {
                fds[index].revents = Int16(POLLNVAL)
                ready += 1
                continue
            }
            let asked = UInt32(UInt16(bitPattern: fds[index].events))
            let got = socket.readiness & (asked | alwaysReported)
            fds[index].revents = Int16(truncatingIfNeeded: got)
            if got != 0 {
                ready += 1
            } else {
                if asked & UInt32(POLLOUT) != 0, let connection = socket.connection { engine.wantSendSpace(connection) }
                socket.watchers.append(wake)
                watched.append(socket)
            }
        }
        let watching = ready == 0 && !watched.isEmpty
        let contextReady = watching && engine.beginContextWatch()
        kernel[wakeEntry + 1].fd = watching ? engine.contextSignal : -1
        flexposix_unlock()
        let result = kernel.withUnsafeMutableBufferPointer {
            flexposix_real_ppoll($0.baseAddress, nfds_t($0.count),
                                 ready > 0 || contextReady ? 0 : (limit < 0 ? -1 : max(0, limit - monotonicNow())), ready > 0 ? nil : mask)
        }
        let code = errno
        if result > 0 && kernel[wakeEntry].revents != 0 { flexposix_eventfd_drain(wake) }
        if !watched.isEmpty {
            flexposix_lock()
            for socket in watched {
                if let position = socket.watchers.firstIndex(of: wake) { socket.watchers.remove(at: position) }
            }
            if watching {
                // Woken by the service: its events are handled now, even if kernel descriptors make poll return.
                let signalled = result > 0 && kernel[wakeEntry + 1].revents != 0
                Engine.current.endContextWatch(signalled: signalled)
                if signalled { Engine.current.pollContext() }
            }
            flexposix_unlock()
        }
        if result < 0 { return -code }
        for (position, index) in kernelIndices.enumerated() {
            fds[index].revents = kernel[position].revents
            if kernel[position].revents != 0 { ready += 1 }
        }
        if ready > 0 { return Int32(ready) }
        if limit >= 0 && monotonicNow() >= limit && !contextReady { return 0 }
    }
}

@_cdecl("flexposix_swift_epoll_ctl")
func flexposixEpollCtl(_ epfd: Int32, _ operation: Int32, _ descriptor: Int32, _ event: UnsafeRawPointer?) -> Int32 {
    flexposix_lock()
    defer { flexposix_unlock() }
    let engine = Engine.current
    guard let socket = engine.sockets[descriptor] else { return -EBADF }
    guard epfd != descriptor else { return -EINVAL }
    var events: UInt32 = 0
    var data: UInt64 = 0
    if operation != EventBits.delete {
        guard let event else { return -EFAULT }
        flexposix_epoll_event_get(event, &events, &data)
    }
    let set: EpollSet
    if let existing = engine.epollSets[epfd] {
        set = existing
    } else {
        let wake = flexposix_eventfd(1)
        guard wake >= 0 else { return -errno }
        guard flexposix_real_epoll_ctl(epfd, EventBits.add, wake, UInt32(POLLIN), EpollSet.marker) == 0 else {
            let code = errno
            _ = flexposix_real_close(wake)
            return -code
        }
        set = EpollSet(descriptor: epfd, wake: wake)
        // Without the context's signal in the kernel epoll, its waits leave the context to the library's thread.
        set.watchesContext = engine.contextSignal >= 0
            && flexposix_real_epoll_ctl(epfd, EventBits.add, engine.contextSignal, UInt32(POLLIN), EpollSet.contextMarker) == 0
        engine.epollSets[epfd] = set
        flexposix_set_kind(epfd, Int32(FLEXPOSIX_EPOLL.rawValue))
    }
    switch operation {
    case EventBits.add:
        guard set.interests[descriptor] == nil else { return -EEXIST }
        set.interests[descriptor] = EpollSet.Interest(socket: socket, events: events, data: data)
        socket.memberships.append((set, descriptor))
    case EventBits.modify:
        guard var interest = set.interests[descriptor] else { return -ENOENT }
        interest.events = events
        interest.data = data
        interest.isDisabled = false
        set.interests[descriptor] = interest
    case EventBits.delete:
        guard set.interests.removeValue(forKey: descriptor) != nil else { return -ENOENT }
        socket.memberships.removeAll { $0.set === set && $0.descriptor == descriptor }
        return 0
    default:
        return -EINVAL
    }
    if events & UInt32(POLLOUT) != 0, let connection = socket.connection, connection.isOpen { engine.wantSendSpace(connection) }
    set.changed(descriptor)
    return 0
}

@_cdecl("flexposix_swift_epoll_wait")
func flexposixEpollWait(_ epfd: Int32, _ events: UnsafeMutableRawPointer?, _ max: Int32, _ timeout: Int64,
                        _ mask: UnsafePointer<sigset_t>?) -> Int32 {
    guard let events else { return -EFAULT }
    guard max > 0 else { return -EINVAL }
    let limit = deadline(after: timeout)
    let entrySize = 12  // struct epoll_event is packed on x86-64
    while true {
        flexposix_lock()
        let engine = Engine.current
        let set = engine.epollSets[epfd]
        var found = 0
        var reported: [Int32] = []
        var watching = false
        var contextReady = false
        if let set {
            set.drainWake()
            // Room is left for the kernel's descriptors (timerfd, signalfd, pipes): one entry, or
            // every other call when `max` is 1, so they are not starved by ready FlexTCP sockets.
            var room = Int(max) - 1
            if max == 1 {
                room = set.isKernelsTurn ? 0 : 1
                set.isKernelsTurn.toggle()
            }
            found = set.pollAndCollect(into: events, offset: 0, max: room, engine: engine, reported: &reported)
            if found == 0 && set.watchesContext {
                watching = true
                contextReady = engine.beginContextWatch()
            }
        }
        flexposix_unlock()
        var result: Int32 = 0
        if found < Int(max) {
            let sleeps = found == 0 && !contextReady
            result = flexposix_real_epoll_wait(epfd, events + found * entrySize, max - Int32(found),
                                               sleeps ? milliseconds(until: limit) : 0, sleeps ? mask : nil)
        }
        let code = errno
        var woken = false
        var contextWoken = false
        var kept = 0
        for index in 0..<Int(Swift.max(0, result)) {
            var got: UInt32 = 0
            var data: UInt64 = 0
            flexposix_epoll_event_get(events + (found + index) * entrySize, &got, &data)
            if data == EpollSet.marker || data == EpollSet.contextMarker {
                if data == EpollSet.marker { woken = true } else { contextWoken = true }
                continue
            }
            flexposix_epoll_event_set(events, Int32(found + kept), got, data)
            kept += 1
        }
        found += kept
        if watching || (woken && set != nil && found < Int(max)) {
            // A wake-up took a slot the kernel could have given a socket: ready ones fill it. Woken by
            // the service, this thread handles its events itself.
            flexposix_lock()
            let engine = Engine.current
            if watching { engine.endContextWatch(signalled: contextWoken) }
            if let set, found < Int(max), woken || contextWoken {
                found += set.pollAndCollect(into: events, offset: found, max: Int(max) - found, engine: engine, reported: &reported,
                                            pollsContext: contextWoken)
            } else if contextWoken {
                engine.pollContext()  // the service's events are handled now, though the kernel's filled the array
            }
            flexposix_unlock()
        }
        if result < 0 {
            if found > 0 { return Int32(found) }
            return -code
        }
        if found > 0 || set == nil { return Int32(found) }
        if !woken && !contextWoken && !contextReady && result == 0 { return 0 }
        if limit >= 0 && monotonicNow() >= limit { return 0 }
    }
}

@_cdecl("flexposix_swift_epoll_closed")
func flexposixEpollClosed(_ epfd: Int32) {
    flexposix_lock()
    defer { flexposix_unlock() }
    flexposix_set_kind(epfd, Int32(FLEXPOSIX_KERNEL.rawValue))
    guard let set = Engine.current.epollSets.removeValue(forKey: epfd) else { return }
    for (descriptor, interest) in set.interests {
        interest.socket.memberships.removeAll { $0.set === set && $0.descriptor == descriptor }
    }
    _ = flexposix_real_close(set.wake)
}
