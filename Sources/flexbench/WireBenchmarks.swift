/// Every micro benchmark of `flexbench wire`, in report order. A new benchmark lives in its own file as
/// a `MicroBenchmark` and is added to this list.
func wireBenchmarks() -> [any MicroBenchmark] {
    CRC32CThroughputBenchmark.all as [any MicroBenchmark]
        + TCPFrameParseBenchmark.all as [any MicroBenchmark]
        + ACKFrameBuildBenchmark.all as [any MicroBenchmark]
        + [MemoryWireOneThreadBenchmark(), MemoryWireTwoThreadBenchmark()] as [any MicroBenchmark]
        + FastPathReceiveBenchmark.all as [any MicroBenchmark]
}
