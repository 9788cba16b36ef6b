#if canImport(Glibc)
import Glibc
import CFlexShim
import FlexWire

/// Why a kernel-backed port (`AFPacketPort`, `TAPPort`) could not be opened or configured.
///
/// Contract: opening a port never traps on a kernel refusal; it throws one of these, carrying the
/// errno and its text so that "no such device" and "operation not permitted" read as such.
public enum KernelPortError: Error, Equatable, CustomStringConvertible {
    /// A system call failed: `operation` names the step, `code` is the errno, `message` its text.
    case systemCall(operation: String, interface: String, code: Int32, message: String)
    /// The configuration cannot work; the text says why.
    case invalidConfiguration(String)

    /// A `.systemCall` error for `code` (an errno value), with the C library's text for it.
    static func failed(_ operation: String, interface: String, code: Int32) -> KernelPortError {
        .systemCall(operation: operation, interface: interface, code: code, message: String(cString: strerror(code)))
    }

    /// The errno of a `.systemCall` error; nil for other errors.
    public var errorNumber: Int32? {
        if case let .systemCall(_, _, code, _) = self { return code }
        return nil
    }

    public var description: String {
        switch self {
        case let .systemCall(operation, interface, code, message):
            return "\(operation) on \(interface) failed: \(message) (errno \(code))"
        case let .invalidConfiguration(text):
            return "invalid port configuration: \(text)"
        }
    }
}

/// What the kernel says about a network interface, read through a socket in the interface's namespace.
struct InterfaceFacts {
    let index: Int32
    let mtu: Int
    let macAddress: MACAddress

    /// Reads index, MTU and hardware address of `name` using `socket` (any socket in the right namespace).
    init(name: String, socket: Int32) throws(KernelPortError) {
        let index = flexshim_interface_index(socket, name)
        guard index > 0 else { throw .failed("SIOCGIFINDEX", interface: name, code: -index) }
        let mtu = flexshim_interface_mtu(socket, name)
        guard mtu > 0 else { throw .failed("SIOCGIFMTU", interface: name, code: -mtu) }
        var octets: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0)
        let status = withUnsafeMutableBytes(of: &octets) { raw in
            flexshim_interface_hardware_address(socket, name, raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard status == 0 else { throw .failed("SIOCGIFHWADDR", interface: name, code: -status) }
        self.index = index
        self.mtu = Int(mtu)
        self.macAddress = MACAddress(octets.0, octets.1, octets.2, octets.3, octets.4, octets.5)
    }

    /// Reads the facts of `name` through a throwaway datagram socket in the calling thread's
    /// namespace (for sockets that answer no interface ioctls themselves, and devices just made).
    init(name: String) throws(KernelPortError) {
        let query = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard query >= 0 else { throw .failed("socket(AF_INET)", interface: name, code: errno) }
        defer { Glibc.close(query) }
        try self.init(name: name, socket: query)
    }

    /// The largest Ethernet frame (header included, no VLAN tag) the interface sends.
    var maximumFrameLength: Int { mtu + 14 }
}

/// Blocks until `descriptor` is readable or `timeoutNanoseconds` passed (negative: no limit).
/// Returns true if it became readable; signals and errors count as spurious wake-ups (false).
func waitUntilReadable(_ descriptor: Int32, timeoutNanoseconds: Int64) -> Bool {
    withUnsafePointer(to: descriptor) { flexshim_wait_any_readable($0, 1, timeoutNanoseconds) } > 0
}
#endif
