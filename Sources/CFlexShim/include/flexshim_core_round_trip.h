#ifndef FLEXSHIM_CORE_ROUND_TRIP_H
#define FLEXSHIM_CORE_ROUND_TRIP_H
// The cross-core cache-line round trip: two threads pinned to two CPUs bounce one cache line
// (a C11 atomic counter) back and forth, so benchmarks can print how far apart the CPUs are.

/// Runs one discarded warm-up batch, then `batches` batches of `per_batch` ping-pongs of a shared
/// atomic between a thread pinned to `cpu_a` and one pinned to `cpu_b`, and writes each batch's mean
/// nanoseconds per round trip to `batch_ns[0..<batches]`. Returns 0, or -1 with errno set (a thread
/// could not be started or pinned; ETIMEDOUT if the partner did not answer within a second).
int flexshim_core_round_trip(int cpu_a, int cpu_b, int batches, int per_batch, double *batch_ns);

#endif
