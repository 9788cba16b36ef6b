import CFlexShim
import Foundation
import Testing

@Suite("flextcpd's shared memory and socket path")
struct ServiceSystemCallTests {
    @Test("An application's memfd is sealed at its size: shrinking it (which would SIGBUS the service) fails")
    func memfdIsSealed() throws {
        let fd = flexshim_memfd_create("flextcp-test", 1 << 20)
        try #require(fd >= 0)
        defer { close(fd) }
        #expect(ftruncate(fd, 0) == -1 && errno == EPERM)
        #expect(ftruncate(fd, 2 << 20) == -1 && errno == EPERM)
        var status = stat()
        #expect(fstat(fd, &status) == 0 && status.st_size == 1 << 20)
    }

    @Test("The service path is taken over only from a stale socket: a live listener and a plain file are left alone")
    func socketPathTakeover() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flextcpd-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("service.sock").path
        let first = flexshim_unix_listen(path, 4)
        try #require(first >= 0)
        #expect(flexshim_unix_listen(path, 4) == -1 && errno == EADDRINUSE)
        close(first)
        // Closed: the file stays behind, stale; the next service replaces it.
        let second = flexshim_unix_listen(path, 4)
        #expect(second >= 0)
        close(second)
        let plain = directory.appendingPathComponent("notes.txt").path
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: plain))
        #expect(flexshim_unix_listen(plain, 4) == -1 && errno == EEXIST)
        #expect(FileManager.default.contents(atPath: plain) == Data("keep me".utf8))
    }
}
