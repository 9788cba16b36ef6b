import CFlexShim
import FlexTCPCore
import Foundation

/// A raw client of flextcpd's attach socket for tests: connects, and sends a hello or nothing;
/// keeps what the service passed (the reply and its descriptors) until `close()`.
final class AttachClient {
    let socket: Int32
    private(set) var reply: AttachReply?
    private(set) var descriptors: [Int32] = []

    /// Connects to `path` (throws if it cannot).
    init(path: String) throws {
        socket = flexshim_unix_connect(path)
        guard socket >= 0 else { throw ProcessFailure("cannot connect to \(path): errno \(errno)") }
    }

    /// Sends the hello and waits (up to 10 s) for the reply and its descriptors.
    func attach() throws -> AttachReply {
        let hello = AttachProtocol.hello
        guard hello.withUnsafeBytes({ flexshim_send_with_descriptors(socket, $0.baseAddress, $0.count, nil, 0) }) == hello.count,
              waitUntilReadable(seconds: 10)
        else { throw ProcessFailure("no attach reply") }
        var bytes = [UInt8](repeating: 0, count: 256)
        var passed = [Int32](repeating: -1, count: 64)
        var count: Int32 = 0
        let received = bytes.withUnsafeMutableBytes { buffer in
            passed.withUnsafeMutableBufferPointer {
                flexshim_receive_with_descriptors(socket, buffer.baseAddress, buffer.count, $0.baseAddress, Int32($0.count), &count)
            }
        }
        descriptors = Array(passed.prefix(Int(count)))
        guard received > 0, let reply = AttachReply(decoding: Array(bytes.prefix(received))) else { throw ProcessFailure("bad attach reply") }
        self.reply = reply
        return reply
    }

    /// The service's wake-up eventfd (fast path) and the contexts' application eventfds, as eventfd ids.
    var serviceSignalIdentity: Int? { descriptors.count > 1 ? Self.eventfdIdentity(descriptors[1]) : nil }
    var applicationSignalIdentities: [Int] { descriptors.dropFirst(AttachProtocol.leadingDescriptors).compactMap(Self.eventfdIdentity) }

    /// True once the socket is readable (a message or the service's hang-up) within `seconds`.
    func waitUntilReadable(seconds: Double) -> Bool {
        var entry = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, Int32(seconds * 1000)) == 1
    }

    /// The messages the service sent until it hung up (the socket read end-of-file) within
    /// `seconds`, or nil if it did not hang up in time.
    func messagesUntilHangUp(seconds: Double) -> [[UInt8]]? {
        let end = Date().addingTimeInterval(seconds)
        var messages: [[UInt8]] = []
        while Date() < end {
            guard waitUntilReadable(seconds: max(0.001, end.timeIntervalSinceNow)) else { continue }
            var bytes = [UInt8](repeating: 0, count: 256)
            let received = bytes.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if received == 0 || (received < 0 && errno != EAGAIN && errno != EINTR) { return messages }
            if received > 0 { messages.append(Array(bytes.prefix(received))) }
        }
        return nil
    }

    /// Hangs up; the descriptors the service passed stay open (as a misbehaving application may keep them).
    func hangUp() { Glibc.close(socket) }

    deinit {
        Glibc.close(socket)
        for descriptor in descriptors { Glibc.close(descriptor) }
    }

    /// The kernel's id of the eventfd behind `descriptor` (`eventfd-id` of /proc/self/fdinfo), or nil.
    static func eventfdIdentity(_ descriptor: Int32) -> Int? {
        let info = (try? String(contentsOfFile: "/proc/self/fdinfo/\(descriptor)", encoding: .utf8)) ?? ""
        return info.split(separator: "\n").first { $0.hasPrefix("eventfd-id:") }
            .flatMap { Int($0.dropFirst("eventfd-id:".count).trimmingCharacters(in: .whitespaces)) }
    }
}

/// What the kernel says about a running process: its descriptors and CPU time; its descriptor limit set with prlimit(1).
struct ProcessProbe {
    let pid: Int32

    /// The lowest descriptor number the process has free: with its soft limit there, it can open no more.
    var lowestFreeDescriptor: Int {
        let open = Set(((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).compactMap(Int.init))
        return (0...).first { !open.contains($0) }!
    }

    var openSockets: Int {
        let directory = "/proc/\(pid)/fd"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return entries.count { ((try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\($0)")) ?? "").hasPrefix("socket:") }
    }

    /// User plus system CPU time so far, in clock ticks (/proc/PID/stat fields 14 and 15).
    var cpuTicks: Int {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        guard let afterName = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: afterName)...].split(separator: " ")
        // Fields after the name start at field 3 (state): utime is field 14, stime 15.
        return fields.count > 12 ? (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0) : 0
    }

    /// Sets the soft limit on open descriptors (prlimit(1)); true if it succeeded.
    @discardableResult
    func limitDescriptors(to soft: Int) -> Bool {
        guard let child = try? ChildProcess("/usr/bin/prlimit", ["--pid", "\(pid)", "--nofile=\(soft):"]) else { return false }
        return child.waitForExit(seconds: 10) == 0
    }
}
