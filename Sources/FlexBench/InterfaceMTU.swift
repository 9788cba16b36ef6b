import Foundation

/// The MTUs of the interfaces the benchmark systems' segments cross, for the report.
public enum InterfaceMTU {
    /// The veth pairs between test hosts keep the kernel's default MTU for veth.
    public static let veth = 1500

    /// Linux's loopback MTU, read once from /sys/class/net/lo/mtu (nil when it cannot be read).
    public static let loopback: Int? = read(interface: "lo")

    /// The MTU of `interface` in this network namespace, from sysfs (nil when it cannot be read).
    static func read(interface: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/sys/class/net/\(interface)/mtu", encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// "MTU 65536", or "MTU unknown" for nil.
    public static func description(_ mtu: Int?) -> String { mtu.map { "MTU \($0)" } ?? "MTU unknown" }
}
