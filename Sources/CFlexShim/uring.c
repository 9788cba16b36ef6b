#define _GNU_SOURCE
#include "flexshim_uring.h"
#include <errno.h>
#include <linux/io_uring.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct flexshim_uring {
    int fd;
    unsigned features;
    // Submission ring: the kernel reads entries [head, tail) through the index array.
    unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
    unsigned sq_entries;
    struct io_uring_sqe *sqes;
    /// Entries written but not yet submitted to the kernel.
    unsigned queued;
    // Completion ring: the kernel writes [head, tail).
    unsigned *cq_head, *cq_tail, *cq_mask;
    struct io_uring_cqe *cqes;
    void *sq_map, *cq_map;
    size_t sq_map_size, cq_map_size, sqes_size;
};

static int ring_setup(unsigned entries, struct io_uring_params *params, unsigned flags) {
    memset(params, 0, sizeof *params);
    params->flags = flags;
    return (int)syscall(__NR_io_uring_setup, entries, params);
}

static int ring_enter(int fd, unsigned submit, unsigned wait, unsigned flags, void *argument, size_t size) {
    return (int)syscall(__NR_io_uring_enter, fd, submit, wait, flags, argument, size);
}

void flexshim_uring_close(flexshim_uring *ring) {
    if (ring == NULL) return;
    if (ring->sqes != NULL && ring->sqes != MAP_FAILED) munmap(ring->sqes, ring->sqes_size);
    if (ring->cq_map != NULL && ring->cq_map != MAP_FAILED && ring->cq_map != ring->sq_map) munmap(ring->cq_map, ring->cq_map_size);
    if (ring->sq_map != NULL && ring->sq_map != MAP_FAILED) munmap(ring->sq_map, ring->sq_map_size);
    if (ring->fd >= 0) close(ring->fd);
    free(ring);
}

flexshim_uring *flexshim_uring_open(unsigned entries) {
    flexshim_uring *ring = calloc(1, sizeof *ring);
    if (ring == NULL) return NULL;
    struct io_uring_params params;
    ring->fd = ring_setup(entries, &params, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
    if (ring->fd < 0 && errno == EINVAL) ring->fd = ring_setup(entries, &params, 0);
    if (ring->fd < 0) {
        int error = errno;
        free(ring);
        errno = error;
        return NULL;
    }
    ring->features = params.features;
    ring->sq_map_size = params.sq_off.array + params.sq_entries * sizeof(unsigned);
    ring->cq_map_size = params.cq_off.cqes + params.cq_entries * sizeof(struct io_uring_cqe);
    int single = (params.features & IORING_FEAT_SINGLE_MMAP) != 0;
    if (single && ring->cq_map_size > ring->sq_map_size) ring->sq_map_size = ring->cq_map_size;
    ring->sq_map = mmap(NULL, ring->sq_map_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring->fd, IORING_OFF_SQ_RING);
    ring->cq_map = single ? ring->sq_map
                          : mmap(NULL, ring->cq_map_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring->fd, IORING_OFF_CQ_RING);
    ring->sqes_size = params.sq_entries * sizeof(struct io_uring_sqe);
    ring->sqes = mmap(NULL, ring->sqes_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring->fd, IORING_OFF_SQES);
    if (ring->sq_map == MAP_FAILED || ring->cq_map == MAP_FAILED || ring->sqes == MAP_FAILED) {
        int error = errno;
        flexshim_uring_close(ring);
        errno = error;
        return NULL;
    }
    char *sq = ring->sq_map, *cq = ring->cq_map;
    ring->sq_head = (unsigned *)(sq + params.sq_off.head);
    ring->sq_tail = (unsigned *)(sq + params.sq_off.tail);
    ring->sq_mask = (unsigned *)(sq + params.sq_off.ring_mask);
    ring->sq_array = (unsigned *)(sq + params.sq_off.array);
    ring->sq_entries = params.sq_entries;
    ring->cq_head = (unsigned *)(cq + params.cq_off.head);
    ring->cq_tail = (unsigned *)(cq + params.cq_off.tail);
    ring->cq_mask = (unsigned *)(cq + params.cq_off.ring_mask);
    ring->cqes = (struct io_uring_cqe *)(cq + params.cq_off.cqes);
    return ring;
}

int flexshim_uring_submit_and_wait(flexshim_uring *ring, unsigned wait_count, int64_t timeout_ns) {
    unsigned flags = IORING_ENTER_GETEVENTS;
    struct __kernel_timespec timeout = { .tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000 };
    struct io_uring_getevents_arg argument = { .sigmask = 0, .sigmask_sz = _NSIG / 8, .ts = (uint64_t)(uintptr_t)&timeout };
    void *extra = NULL;
    size_t extra_size = 0;
    if (wait_count > 0 && (ring->features & IORING_FEAT_EXT_ARG) != 0) {
        flags |= IORING_ENTER_EXT_ARG;
        extra = &argument;
        extra_size = sizeof argument;
    }
    unsigned submit = ring->queued;
    int result = ring_enter(ring->fd, submit, wait_count, flags, extra, extra_size);
    if (result < 0) {
        int error = errno;
        // A timeout or a signal ends the wait; busy or full completion queues resolve by reaping.
        if (error == ETIME || error == EINTR || error == EAGAIN || error == EBUSY) return 0;
        return -error;
    }
    ring->queued -= (unsigned)result <= submit ? (unsigned)result : submit;
    return 0;
}

/// The next free submission entry, cleared; NULL if the ring is full even after submitting.
static struct io_uring_sqe *next_entry(flexshim_uring *ring, int *error) {
    unsigned head = __atomic_load_n(ring->sq_head, __ATOMIC_ACQUIRE);
    unsigned tail = *ring->sq_tail;
    if (tail - head >= ring->sq_entries) {
        int submitted = flexshim_uring_submit_and_wait(ring, 0, 0);
        if (submitted < 0) { *error = submitted; return NULL; }
        head = __atomic_load_n(ring->sq_head, __ATOMIC_ACQUIRE);
        if (tail - head >= ring->sq_entries) { *error = -EBUSY; return NULL; }
    }
    unsigned index = tail & *ring->sq_mask;
    struct io_uring_sqe *entry = &ring->sqes[index];
    memset(entry, 0, sizeof *entry);
    ring->sq_array[index] = index;
    return entry;
}

/// Makes the entry just filled visible to the kernel.
static void publish_entry(flexshim_uring *ring) {
    __atomic_store_n(ring->sq_tail, *ring->sq_tail + 1, __ATOMIC_RELEASE);
    ring->queued++;
}

static int queue_transfer(flexshim_uring *ring, uint8_t opcode, int fd, void *buffer, uint32_t length, int flags, uint64_t tag) {
    int error = 0;
    struct io_uring_sqe *entry = next_entry(ring, &error);
    if (entry == NULL) return error;
    entry->opcode = opcode;
    entry->fd = fd;
    entry->addr = (uint64_t)(uintptr_t)buffer;
    entry->len = length;
    entry->msg_flags = (uint32_t)flags;
    entry->user_data = tag;
    publish_entry(ring);
    return 0;
}

int flexshim_uring_queue_recv(flexshim_uring *ring, int fd, void *buffer, uint32_t length, uint64_t tag) {
    return queue_transfer(ring, IORING_OP_RECV, fd, buffer, length, 0, tag);
}

int flexshim_uring_queue_send(flexshim_uring *ring, int fd, const void *buffer, uint32_t length, uint64_t tag) {
    return queue_transfer(ring, IORING_OP_SEND, fd, (void *)buffer, length, MSG_NOSIGNAL, tag);
}

const uint8_t flexshim_uring_op_send = IORING_OP_SEND, flexshim_uring_op_poll_add = IORING_OP_POLL_ADD;

int flexshim_uring_queue_operation(flexshim_uring *ring, uint8_t opcode, int fd, uint64_t address, uint32_t length,
                                   uint32_t operation_flags, uint64_t tag) {
    return queue_transfer(ring, opcode, fd, (void *)(uintptr_t)address, length, (int)operation_flags, tag);
}

int flexshim_uring_next_completion(flexshim_uring *ring, uint64_t *tag, int32_t *result) {
    unsigned head = *ring->cq_head;
    if (head == __atomic_load_n(ring->cq_tail, __ATOMIC_ACQUIRE)) return 0;
    struct io_uring_cqe *completion = &ring->cqes[head & *ring->cq_mask];
    *tag = completion->user_data;
    *result = completion->res;
    __atomic_store_n(ring->cq_head, head + 1, __ATOMIC_RELEASE);
    return 1;
}
