/// Linux's NVMe/TCP host and target in a `LinuxGuest`, driven the way nvme-cli does it: the host
/// through /dev/nvme-fabrics, the target (nvmet) through configfs.
extension LinuxGuest {
    /// Connects Linux's host to `nqn` at `address`:`port` with `ioQueues` I/O queues, digests on or
    /// off; returns the controller's instance N once /dev/nvmeNn1 exists.
    func connectHost(address: String, port: UInt16, nqn: String, ioQueues: Int = 4, digests: Bool) throws -> Int {
        let options = "transport=tcp,traddr=\(address),trsvcid=\(port),nqn=\(nqn),nr_io_queues=\(ioQueues)"
            + (digests ? ",hdr_digest,data_digest" : "")
        let reply = try runChecked("exec 3<>/dev/nvme-fabrics && echo \(options) >&3 && cat <&3", timeout: .seconds(60))
        guard let field = reply.split(separator: ",").first(where: { $0.hasPrefix("instance=") }),
              let instance = Int(field.dropFirst("instance=".count)) else {
            throw GuestError.guest("unexpected reply from /dev/nvme-fabrics: \(reply)")
        }
        try runChecked("for i in $(seq 300); do [ -b /dev/nvme\(instance)n1 ] && exit 0; sleep 0.1; done; exit 1")
        return instance
    }

    /// Queues of controller `instance`, the admin queue included.
    func queueCount(_ instance: Int) throws -> Int {
        Int(try runChecked("cat /sys/class/nvme/nvme\(instance)/queue_count").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Disconnects controller `instance` (what `nvme disconnect` does).
    func disconnectHost(_ instance: Int) throws {
        try runChecked("echo 1 > /sys/class/nvme/nvme\(instance)/delete_controller")
    }

    /// Copies `mebibytes` MiB from `source` to `destination` at MiB `offset` with O_DIRECT writes.
    func copy(from source: String, to destination: String, mebibytes: Int, atMiB offset: Int) throws {
        try runChecked("dd if=\(source) of=\(destination) bs=1M count=\(mebibytes) seek=\(offset) oflag=direct conv=fsync 2>&1")
    }

    /// SHA-256 (hex) of `mebibytes` MiB of `device` from MiB `offset`, read with O_DIRECT; nil when the read failed.
    func sha256(of device: String, mebibytes: Int, atMiB offset: Int) throws -> String? {
        let (status, output) = try run("set -o pipefail; dd if=\(device) bs=1M count=\(mebibytes) skip=\(offset) iflag=direct 2>/dev/null | sha256sum")
        return status == 0 ? output.split(separator: " ").first.map(String.init) : nil
    }

    /// Serves /dev/ram0 as namespace 1 of `nqn` with nvmet on every address at `port`, any host allowed.
    /// (One short command per step: long lines have arrived cut on the serial port.)
    func serveRAMDisk(nqn: String, port: UInt16) throws {
        let subsystem = "/sys/kernel/config/nvmet/subsystems/\(nqn)"
        let portDirectory = "/sys/kernel/config/nvmet/ports/1"
        for step in [
            "mkdir \(subsystem)", "echo 1 > \(subsystem)/attr_allow_any_host", "mkdir \(subsystem)/namespaces/1",
            "echo -n /dev/ram0 > \(subsystem)/namespaces/1/device_path", "echo 1 > \(subsystem)/namespaces/1/enable",
            "mkdir \(portDirectory)", "echo tcp > \(portDirectory)/addr_trtype", "echo ipv4 > \(portDirectory)/addr_adrfam",
            "echo 0.0.0.0 > \(portDirectory)/addr_traddr", "echo \(port) > \(portDirectory)/addr_trsvcid",
            "ln -s \(subsystem) \(portDirectory)/subsystems/",
        ] {
            try runChecked(step)
        }
    }
}
