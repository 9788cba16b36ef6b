/// How a host connects: subsystem, identity, queues and digests.
public struct HostOptions: Sendable {
    public var subsystemNQN: String
    public var hostNQN = "nqn.2014-08.org.flextcp:host"
    /// I/O queues (each its own TCP connection).
    public var ioQueues = 1
    /// Entries per I/O queue; at most `queueDepth - 1` commands outstanding on each.
    public var queueDepth = 32
    public var headerDigest = false
    public var dataDigest = false
    /// Keep-alive timeout asked for in Connect (0: none); the host sends Keep Alive at half of it.
    public var keepAliveMilliseconds: UInt32 = 0
    /// How long a command may take before the host gives up.
    public var timeoutMilliseconds = 10_000
    /// Times a read failed by a transport error (a data digest mismatch) is retried.
    public var readRetries = 3
    /// The most data one command carries when the controller sets no limit (MDTS 0), rounded down to whole
    /// blocks (at least one). Default 1280 KiB: Linux's default per-request limit (max_sectors_kb,
    /// `BLK_DEF_MAX_SECTORS_CAP` = 2560 sectors, include/linux/blkdev.h), which bounds what Linux's NVMe/TCP
    /// host sends when MDTS is 0 (its PCIe driver caps at 8 MiB, `NVME_MAX_KB_SZ` in drivers/nvme/host/pci.c).
    /// Linux's nvmet answers 32 MiB reads with status 0Fh although its MDTS is 0.
    public var transferLimitWithoutMDTS = 1280 << 10

    public init(subsystemNQN: String) { self.subsystemNQN = subsystemNQN }
}

/// One block read or write for `NVMeHost.run`: `buffer` holds the data to write or receives the
/// data read (`blocks` × block size bytes) and must stay valid until `run` returns.
public struct BlockIO {
    public enum Kind: Sendable { case read, write }
    public var kind: Kind
    public var lba: UInt64
    public var buffer: UnsafeMutableRawBufferPointer
    /// The I/O queue (0-based index into the host's I/O queues); nil: the host spreads them.
    public var queue: Int?

    public init(_ kind: Kind, lba: UInt64, buffer: UnsafeMutableRawBufferPointer, queue: Int? = nil) {
        self.kind = kind
        self.lba = lba
        self.buffer = buffer
        self.queue = queue
    }
}
