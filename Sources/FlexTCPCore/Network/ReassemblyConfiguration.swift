/// How a network host reassembles IPv4 fragments (RFC 791, RFC 815, RFC 1122 §3.3.2): the bounds on
/// the memory and time the datagrams in progress may take. Times are nanoseconds of the caller's clock.
///
/// Contract: a plain value; `NetworkHost.init` validates it (`validate()`) and throws
/// `NetworkConfigurationError.invalidSetting` for a value out of its range.
package struct ReassemblyConfiguration: Hashable, Sendable {
    /// Datagrams reassembled at one time (1 ... 4096); a new one beyond this evicts the oldest.
    package var maximumDatagrams = 64
    /// Bytes all datagrams in progress may hold together (64 KiB ... 1 GiB): every fragment's payload
    /// and header plus `ReassemblyConfiguration.fragmentOverhead` for its bookkeeping. A fragment that
    /// does not fit evicts the oldest other datagrams; one that cannot fit drops its datagram.
    package var byteBudget = 1 << 20
    /// Fragments one datagram may consist of (2 ... 8192; 8192 is 65 535 bytes in 8-byte pieces).
    package var maximumFragmentsPerDatagram = 256
    /// How long a datagram may take from its first fragment to its last (0 < timeout <= 120 s,
    /// RFC 1122's upper bound); then it is dropped.
    package var timeout: UInt64 = 30_000_000_000

    /// Bytes charged to the budget per fragment held, besides its own bytes, so that tiny fragments
    /// cannot hold much more memory than the budget says.
    package static let fragmentOverhead = 64

    package init() {}

    /// Throws `NetworkConfigurationError.invalidSetting` naming the first setting out of range.
    package func validate() throws(NetworkConfigurationError) {
        guard (1...4096).contains(maximumDatagrams) else { throw .invalidSetting("reassembly datagram limit must be 1...4096") }
        guard (65_536...(1 << 30)).contains(byteBudget) else {
            throw .invalidSetting("reassembly byte budget must be 65536...1073741824")
        }
        guard (2...8192).contains(maximumFragmentsPerDatagram) else {
            throw .invalidSetting("fragments per datagram must be 2...8192")
        }
        guard timeout > 0, timeout <= 120_000_000_000 else {
            throw .invalidSetting("reassembly timeout must be positive and at most 120 s")
        }
    }
}
