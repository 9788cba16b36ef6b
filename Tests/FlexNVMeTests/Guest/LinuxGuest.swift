import FlexTestHosts
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A Linux guest under QEMU (TCG; KVM with FLEXTCP_GUEST_KVM=1 — this machine has /dev/kvm, but its
/// nested KVM fails these guests: an emulation failure in the kernel's decompressor, or with
/// `-cpu host` an MSR QEMU cannot set) in a test namespace: 4 CPUs, one
/// virtio NIC per TAP device (made here, in the namespace), an optional read-only data disk (/dev/vda),
/// a brd RAM disk (/dev/ram0), and shell commands run through its second serial port.
///
/// Contract: `init` returns once the guest said it is ready (its NICs addressed); `run` runs one
/// command line (`sh -c`) and returns its exit status and output. QEMU dies with `shutdown()`, with
/// the namespace's teardown (it is started through it), and with the test process (PR_SET_PDEATHSIG).
final class LinuxGuest {
    /// One NIC: the TAP in the namespace and the address the guest gives its ethN.
    struct NIC {
        let tap: String
        let guestAddress: TestAddress
    }

    let nics: [NIC]
    /// Seconds from starting QEMU to the guest's ready line.
    let bootSeconds: Double
    private let qemu: RunningCommand
    private let channel: GuestSerialChannel
    private let directory: String

    init(image: LinuxGuestImage, network: TestNetwork, namespace: TestNamespace, guestAddresses: [TestAddress],
         dataDisk: String? = nil, ramDiskMiB: Int, bootTimeout: Duration = .seconds(300)) throws {
        var template = Array("/tmp/flexnvme-guest-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw GuestError.guest("mkdtemp: errno \(errno)")
        }
        directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var nics: [NIC] = []
        for address in guestAddresses {
            let tap = network.makeInterfaceName()
            try namespace.runChecked(["ip", "tuntap", "add", "mode", "tap", "name", tap])
            try namespace.bringUp(tap)
            nics.append(NIC(tap: tap, guestAddress: address))
        }
        self.nics = nics
        let kvm = ProcessInfo.processInfo.environment["FLEXTCP_GUEST_KVM"] == "1" && access("/dev/kvm", R_OK | W_OK) == 0
        let net = nics.enumerated().map { "eth\($0.offset):\($0.element.guestAddress)" }.joined(separator: ",")
        var arguments = ["setpriv", "--pdeathsig", "KILL", "qemu-system-x86_64", "-accel", kvm ? "kvm" : "tcg",
                         "-smp", "4", "-m", "\(512 + ramDiskMiB)", "-nodefaults", "-display", "none", "-no-reboot",
                         "-kernel", image.kernel, "-initrd", image.initrd,
                         "-append", "console=ttyS0 loglevel=4 panic=-1 no_timer_check flexguest.net=\(net) flexguest.ramdisk_kib=\(ramDiskMiB * 1024)",
                         "-serial", "file:\(directory)/console.log",
                         "-serial", "unix:\(directory)/command.sock,server=on,wait=on"]
        // `max` has RDRAND, so the guest's CRNG is ready at boot: under multi-threaded TCG, flipping its static
        // key later (when entropy arrives) has crashed a guest on a half-patched instruction (int3 in urandom_read_iter).
        arguments += ["-cpu", kvm ? "host" : "max"]
        for (index, nic) in nics.enumerated() {
            // No offloads: FlexTCP reads the TAP with AF_PACKET and wants whole, checksummed frames.
            arguments += ["-netdev", "tap,id=n\(index),ifname=\(nic.tap),script=no,downscript=no,vnet_hdr=off",
                          "-device", "virtio-net-pci,netdev=n\(index),mac=52:54:00:12:34:\(String(format: "%02x", 0x10 + index)),csum=off,guest_csum=off"]
        }
        if let dataDisk { arguments += ["-drive", "file=\(dataDisk),format=raw,if=virtio,readonly=on"] }
        let started = ContinuousClock.now
        qemu = try namespace.start(arguments)
        do {
            channel = try GuestSerialChannel(path: "\(directory)/command.sock", timeout: .seconds(30))
            _ = try channel.read(upTo: "@@READY", timeout: bootTimeout)
        } catch {
            let console = (try? String(contentsOfFile: "\(directory)/console.log", encoding: .utf8)) ?? ""
            qemu.stop()
            try? FileManager.default.removeItem(atPath: directory)
            throw GuestError.guest("did not boot: \(error); QEMU: \(qemu.stop()); console: \(console.suffix(3000))")
        }
        let elapsed = ContinuousClock.now - started
        bootSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    deinit { shutdown() }

    /// Kills QEMU and removes its files. Idempotent.
    func shutdown() {
        qemu.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `command` in the guest (`sh -c`); its exit status and output (stdout and stderr). The
    /// command goes with its length; one that arrived garbled was not run and is sent again (up to 5 times).
    func run(_ command: String, timeout: Duration = .seconds(120)) throws -> (status: Int, output: String) {
        for _ in 0..<5 {
            try channel.send("\(command.utf8.count) \(command)")
            let (output, rest) = try channel.read(upTo: "@@RC ", timeout: timeout)
            let status = rest.trimmingCharacters(in: .whitespaces)
            if status == "garbled" { continue }
            return (Int(status) ?? -1, output)
        }
        throw GuestError.guest("`\(command)` arrived garbled on the guest's serial line 5 times")
    }

    /// Runs `command`; its output, or a thrown error with it when it failed.
    @discardableResult
    func runChecked(_ command: String, timeout: Duration = .seconds(120)) throws -> String {
        let (status, output) = try run(command, timeout: timeout)
        guard status == 0 else { throw GuestError.guest("`\(command)` exited \(status): \(output)") }
        return output
    }

    /// The guest kernel's log lines containing `text`.
    func kernelLog(containing text: String) throws -> [String] {
        try run("dmesg").output.split(separator: "\n").map(String.init).filter { $0.contains(text) }
    }
}
