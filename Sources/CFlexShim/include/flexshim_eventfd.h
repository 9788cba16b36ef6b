#ifndef FLEXSHIM_EVENTFD_H
#define FLEXSHIM_EVENTFD_H
// eventfd(2) and a nanosecond-timeout wait (ppoll) for wake-ups; Glibc's Swift overlay exports neither.
#include <stdint.h>

/// A new non-blocking, close-on-exec eventfd with counter 0, or -1 with errno set.
int flexshim_eventfd_open(void);

/// Adds 1 to the eventfd's counter, waking a waiter. Returns 0, or -1 with errno set.
int flexshim_eventfd_signal(int fd);

/// Waits until the eventfd is readable or `timeout_ns` (<= 0: do not wait) elapses, then resets the
/// counter. Returns 1 if it was signalled, 0 on timeout or interruption, -1 with errno set on error.
int flexshim_eventfd_wait(int fd, int64_t timeout_ns);

/// Waits until one of `count` descriptors (at most 8) is readable or `timeout_ns` elapses (< 0:
/// no limit). Consumes nothing. Returns how many are readable, 0 on timeout or interruption, or
/// -1 with errno set on error.
int flexshim_wait_any_readable(const int *fds, int count, int64_t timeout_ns);

#endif
