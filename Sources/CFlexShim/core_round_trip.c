#define _GNU_SOURCE
#include "flexshim_core_round_trip.h"
#include "flexshim_cpu.h"
#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/// The value the pinger stores to make the ponger give up.
#define ABANDONED UINT64_MAX

struct round_trip {
    /// The bounced cache line: odd values are pings, even values pongs.
    alignas(64) _Atomic uint64_t line;
    alignas(64) int cpu_a;
    int cpu_b;
    int batches;
    int per_batch;
    double *batch_ns;
    /// Batches measured completely.
    int completed;
    /// The first failure's errno (0: none); either thread may set it.
    _Atomic int error;
};

static uint64_t now_ns(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return (uint64_t)time.tv_sec * 1000000000u + (uint64_t)time.tv_nsec;
}

/// Spins until the line holds `wanted`; false if it was abandoned or (pinger only, `deadline` != 0)
/// the deadline passed.
static int await_value(_Atomic uint64_t *line, uint64_t wanted, uint64_t deadline) {
    for (uint32_t spins = 1;; spins++) {
        uint64_t seen = atomic_load_explicit(line, memory_order_acquire);
        if (seen == wanted) return 1;
        if (seen == ABANDONED) return 0;
        if (deadline != 0 && (spins & 0xffff) == 0 && now_ns() > deadline) return 0;
    }
}

/// Records `error` unless a failure was recorded first, and makes the partner give up.
static void abandon(struct round_trip *trip, int error) {
    int none = 0;
    atomic_compare_exchange_strong(&trip->error, &none, error);
    atomic_store_explicit(&trip->line, ABANDONED, memory_order_release);
}

static void *ponger(void *argument) {
    struct round_trip *trip = argument;
    if (flexshim_pin_current_thread(trip->cpu_b) != 0) {
        abandon(trip, errno);
        return NULL;
    }
    uint64_t total = (uint64_t)(trip->batches + 1) * (uint64_t)trip->per_batch;
    for (uint64_t round = 0; round < total; round++) {
        if (!await_value(&trip->line, 2 * round + 1, 0)) return NULL;
        atomic_store_explicit(&trip->line, 2 * round + 2, memory_order_release);
    }
    return NULL;
}

static void *pinger(void *argument) {
    struct round_trip *trip = argument;
    if (flexshim_pin_current_thread(trip->cpu_a) != 0) {
        abandon(trip, errno);
        return NULL;
    }
    uint64_t deadline = now_ns() + 1000000000u;
    uint64_t round = 0;
    // Batch -1 is the warm-up: the ponger starting, caches and frequency settling.
    for (int batch = -1; batch < trip->batches; batch++) {
        uint64_t start = now_ns();
        for (int ping = 0; ping < trip->per_batch; ping++, round++) {
            atomic_store_explicit(&trip->line, 2 * round + 1, memory_order_release);
            if (!await_value(&trip->line, 2 * round + 2, deadline)) {
                // Batches measured before the deadline still count.
                abandon(trip, trip->completed == 0 ? ETIMEDOUT : 0);
                return NULL;
            }
        }
        if (batch >= 0) {
            trip->batch_ns[batch] = (double)(now_ns() - start) / (double)trip->per_batch;
            trip->completed = batch + 1;
        }
    }
    return NULL;
}

int flexshim_core_round_trip(int cpu_a, int cpu_b, int batches, int per_batch, double *batch_ns) {
    if (batches <= 0 || per_batch <= 0) { errno = EINVAL; return -1; }
    struct round_trip *trip = aligned_alloc(64, sizeof *trip);
    if (trip == NULL) return -1;
    atomic_store(&trip->line, 0);
    trip->cpu_a = cpu_a;
    trip->cpu_b = cpu_b;
    trip->batches = batches;
    trip->per_batch = per_batch;
    trip->batch_ns = batch_ns;
    trip->completed = 0;
    atomic_store(&trip->error, 0);
    pthread_t threads[2];
    int started = pthread_create(&threads[0], NULL, ponger, trip);
    if (started != 0) {
        free(trip);
        errno = started;
        return -1;
    }
    started = pthread_create(&threads[1], NULL, pinger, trip);
    if (started != 0) {
        atomic_store_explicit(&trip->line, ABANDONED, memory_order_release);
        pthread_join(threads[0], NULL);
        free(trip);
        errno = started;
        return -1;
    }
    pthread_join(threads[1], NULL);
    pthread_join(threads[0], NULL);
    int error = atomic_load(&trip->error), completed = trip->completed;
    free(trip);
    if (error != 0) { errno = error; return -1; }
    return completed;
}
