#ifndef FLEXSHIM_CORE_ROUND_TRIP_H
#define FLEXSHIM_CORE_ROUND_TRIP_H
// The cross-core cache-line round trip: two threads pinned to two CPUs bounce one cache line
// (a C11 atomic counter) back and forth, so benchmarks can print how far apart the CPUs are.

/// Runs one discarded warm-up batch, then `batches` batches of `per_batch` ping-pongs of a shared
/// atomic between a thread pinned to `cpu_a` and one pinned to `cpu_b`, and writes each batch's mean
/// nanoseconds per round trip to `batch_ns[0..<batches]`. Stops after a second (a loaded machine
/// may keep a partner off its CPU for long). Returns how many batches were measured (the first
/// entries of `batch_ns`), or -1 with errno set (a thread could not be started or pinned;
/// ETIMEDOUT if not one batch completed).
int flexshim_core_round_trip(int cpu_a, int cpu_b, int batches, int per_batch, double *batch_ns);

#endif
