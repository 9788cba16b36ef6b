import FlexWire

/// CRC32C throughput over one cache-hot buffer with one implementation. Each iteration continues from
/// the previous state, so iterations cannot overlap and the figure is the one-buffer rate.
struct CRC32CThroughputBenchmark: MicroBenchmark {
    let name: String
    let metric: BenchmarkMetric
    private let implementation: CRC32C.Implementation
    private let bytes: [UInt8]

    init(implementation: CRC32C.Implementation, label: String, size: Int, sizeLabel: String) {
        name = "crc32c/\(label)/\(sizeLabel)"
        metric = .throughput(bytesPerIteration: size)
        self.implementation = implementation
        bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 167 &+ 13) }
    }

    /// Both buffer sizes (an MTU-sized frame and a 64 KiB segment) for the hardware path, when this
    /// CPU has it, and for the software path.
    static var all: [CRC32CThroughputBenchmark] {
        var paths: [(CRC32C.Implementation, String)] = [(.software, "software")]
        if CRC32C.isHardwareAccelerated {
            paths.insert((.automatic, "hardware"), at: 0)
        }
        return paths.flatMap { implementation, label in
            [(1536, "1536B"), (65536, "64KiB")].map { size, sizeLabel in
                CRC32CThroughputBenchmark(implementation: implementation, label: label, size: size, sizeLabel: sizeLabel)
            }
        }
    }

    func run(iterations: Int) -> UInt64 {
        bytes.withUnsafeBytes { buffer in
            var state = CRC32C.initialState
            for _ in 0..<iterations {
                state = CRC32C.update(state, buffer, using: implementation)
            }
            return UInt64(state)
        }
    }
}
