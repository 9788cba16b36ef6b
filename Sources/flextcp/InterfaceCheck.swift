#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import FlexPort

/// Checks that an interface is fit for FlexTCP before it is opened, and words the kernel's refusals
/// so that each names its fix.
///
/// Contract: `kernelAddresses(on:)` reads the interface's IPv4 addresses from `getifaddrs` (an empty list
/// when it has none or does not exist); `refusal(opening:command:error:)` turns an `AFPacketPort` error into
/// one line for standard error.
enum InterfaceCheck {
    /// The IPv4 addresses the kernel holds on `interface`, as "A.B.C.D/P".
    static func kernelAddresses(on interface: String) -> [String] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }
        var found: [String] = []
        for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
            guard let name = entry.pointee.ifa_name, String(cString: name) == interface,
                  let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            found.append(text(of: address) + "/" + String(prefixLength(of: entry.pointee.ifa_netmask)))
        }
        return found
    }

    /// Fails with a message naming the fix when the kernel holds an IPv4 address on `interface`:
    /// the kernel would answer ARP and TCP for it beside FlexTCP.
    static func requireNoKernelAddress(on interface: String, command: String) throws {
        let addresses = kernelAddresses(on: interface)
        guard let first = addresses.first else { return }
        printError("flextcp \(command): interface \(interface) has a kernel address \(first); FlexTCP needs an interface "
                   + "without one (the kernel would answer ARP and reset FlexTCP's connections): remove it with "
                   + "`ip address flush dev \(interface)` or use another interface")
        throw ExitCode.failure
    }

    /// One line saying why `interface` could not be opened and what to do about it.
    static func refusal(opening interface: String, command: String, error: any Error) -> String {
        let prefix = "flextcp \(command): cannot open \(interface): "
        guard let kernel = error as? KernelPortError, let code = kernel.errorNumber else { return prefix + "\(error)" }
        switch code {
        case ENODEV:
            return prefix + "no such interface (list them with `ip link`)"
        case EPERM, EACCES:
            return prefix + "AF_PACKET sockets need root or CAP_NET_RAW (run with sudo, or "
                + "`setcap cap_net_raw,cap_net_admin+ep` on the binary)"
        case ENETDOWN:
            return prefix + "the interface is down (`ip link set \(interface) up`)"
        default:
            return prefix + "\(error)"
        }
    }

    private static func text(of address: UnsafeMutablePointer<sockaddr>) -> String {
        address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { inet in
            let value = UInt32(bigEndian: inet.pointee.sin_addr.s_addr)
            return "\(value >> 24).\((value >> 16) & 0xff).\((value >> 8) & 0xff).\(value & 0xff)"
        }
    }

    private static func prefixLength(of mask: UnsafeMutablePointer<sockaddr>?) -> Int {
        guard let mask else { return 32 }
        return mask.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr.nonzeroBitCount }
    }
}
