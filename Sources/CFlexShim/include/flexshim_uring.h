#ifndef FLEXSHIM_URING_H
#define FLEXSHIM_URING_H
// A minimal io_uring for socket receive and send, on the raw system calls (io_uring_setup,
// io_uring_enter, the mmapped rings): no liburing needed to build. One thread uses a ring.
#include <stdint.h>

/// An io_uring instance and its mapped submission and completion rings (opaque).
typedef struct flexshim_uring flexshim_uring;

/// A new ring with room for `entries` submissions (rounded up to a power of two by the kernel)
/// and twice as many completions; NULL with errno set if the kernel refuses (ENOSYS, EPERM: io_uring
/// disabled or filtered; ENOMEM). Prefers the single-issuer, deferred-task-run setup, falling back to
/// a plain ring on kernels without it.
flexshim_uring *flexshim_uring_open(unsigned entries);

/// Unmaps the rings and closes the ring's descriptor.
void flexshim_uring_close(flexshim_uring *ring);

/// Queues a recv(2) of at most `length` bytes into `buffer`; `tag` comes back with its completion.
/// Submits queued entries first if the submission ring is full. Returns 0, or -errno.
int flexshim_uring_queue_recv(flexshim_uring *ring, int fd, void *buffer, uint32_t length, uint64_t tag);

/// Queues a send(2) (MSG_NOSIGNAL) of `length` bytes from `buffer`, which must stay untouched until
/// the completion; as `flexshim_uring_queue_recv` otherwise.
int flexshim_uring_queue_send(flexshim_uring *ring, int fd, const void *buffer, uint32_t length, uint64_t tag);

/// Queues any operation as `opcode` (an IORING_OP_* value) with the entry's fd, addr, len and
/// per-operation flags (msg_flags, poll32_events, accept_flags… share one field); as
/// `flexshim_uring_queue_recv` otherwise. For operations the two calls above do not cover (a send
/// with MSG_WAITALL, IORING_OP_POLL_ADD).
int flexshim_uring_queue_operation(flexshim_uring *ring, uint8_t opcode, int fd, uint64_t address, uint32_t length,
                                   uint32_t operation_flags, uint64_t tag);

/// IORING_OP_* values for `flexshim_uring_queue_operation` (this header does not include <linux/io_uring.h>).
extern const uint8_t flexshim_uring_op_send, flexshim_uring_op_poll_add;

/// Submits everything queued and waits until at least `wait_count` completions are ready or
/// `timeout_ns` passed (0 waits for nothing). Returns 0 (also on timeout or a signal), or -errno.
int flexshim_uring_submit_and_wait(flexshim_uring *ring, unsigned wait_count, int64_t timeout_ns);

/// Takes the oldest completion: stores its tag and result (bytes moved, or -errno) and returns 1;
/// returns 0 when there is none.
int flexshim_uring_next_completion(flexshim_uring *ring, uint64_t *tag, int32_t *result);

#endif
