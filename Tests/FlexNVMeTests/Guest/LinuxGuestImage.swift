import FlexTestHosts
import Foundation

/// The guest's kernel and initramfs, built (once, then cached) by `scripts/nvme-guest`.
///
/// Contract: `prepared` runs the script at most once per process; it fails only when the script
/// could not install QEMU or download the kernel package (its message says which).
struct LinuxGuestImage: Sendable {
    let kernel: String
    let initrd: String

    /// The image, or why there is none.
    static let prepared: Result<LinuxGuestImage, GuestError> = build()

    private static func build() -> Result<LinuxGuestImage, GuestError> {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/nvme-guest").path
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "/root"
        var arguments = ["env", "HOME=\(home)"]
        for name in ["FLEXTCP_GUEST_CACHE", "FLEXTCP_GUEST_KERNEL_PACKAGE"] {
            if let value = ProcessInfo.processInfo.environment[name] { arguments.append("\(name)=\(value)") }
        }
        let result: CommandResult
        do {
            result = try RunningCommand(arguments + ["bash", script]).wait(timeout: .seconds(1200))
        } catch {
            return .failure(.unavailable("cannot run \(script): \(error)"))
        }
        guard result.succeeded else { return .failure(.unavailable("scripts/nvme-guest failed: \(result)")) }
        var paths: [String: String] = [:]
        for line in result.standardOutput.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2 { paths[String(parts[0])] = String(parts[1]) }
        }
        guard let kernel = paths["kernel"], let initrd = paths["initrd"] else {
            return .failure(.unavailable("scripts/nvme-guest printed no image: \(result.standardOutput)"))
        }
        return .success(LinuxGuestImage(kernel: kernel, initrd: initrd))
    }
}

/// Why the guest could not be used.
enum GuestError: Error, CustomStringConvertible {
    /// QEMU or the kernel package could not be installed.
    case unavailable(String)
    /// The guest did not boot, or stopped answering.
    case guest(String)

    var description: String {
        switch self {
        case .unavailable(let text): "guest image unavailable: \(text)"
        case .guest(let text): "guest: \(text)"
        }
    }
}
