#ifndef FLEXSHIM_CPU_H
#define FLEXSHIM_CPU_H
// CPU affinity, per-thread CPU time and a cycle counter for benchmarks; Swift cannot use the
// CPU_SET macros or the __rdtsc intrinsic directly.
#include <stdint.h>

/// Pins the calling thread to CPU `cpu`. Returns 0, or -1 with errno set (e.g. EINVAL: no such CPU).
int flexshim_pin_current_thread(int cpu);

/// CPUs this process may run on (at least 1).
int flexshim_available_cpus(void);

/// CPU time the calling thread has consumed, in nanoseconds (user + system).
uint64_t flexshim_thread_cpu_ns(void);

/// A cycle counter: the time-stamp counter on x86-64, a nanosecond clock elsewhere.
uint64_t flexshim_cycles(void);

#endif
