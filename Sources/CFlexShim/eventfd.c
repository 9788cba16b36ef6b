#define _GNU_SOURCE
#include "flexshim_eventfd.h"
#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

int flexshim_eventfd_open(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

int flexshim_eventfd_signal(int fd) {
    uint64_t one = 1;
    // EAGAIN means the counter is saturated: a wake-up is pending anyway.
    if (write(fd, &one, sizeof one) == sizeof one || errno == EAGAIN) return 0;
    return -1;
}

int flexshim_eventfd_wait(int fd, int64_t timeout_ns) {
    int ready = flexshim_wait_any_readable(&fd, 1, timeout_ns < 0 ? 0 : timeout_ns);
    if (ready <= 0) return ready;
    uint64_t counter;
    // Resets the counter; EAGAIN means another reader reset it first, which still counts as a wake-up.
    if (read(fd, &counter, sizeof counter) < 0 && errno != EAGAIN) return -1;
    return 1;
}

int flexshim_wait_any_readable(const int *fds, int count, int64_t timeout_ns) {
    if (count < 0 || count > 8) { errno = EINVAL; return -1; }
    struct pollfd entries[8];
    for (int index = 0; index < count; index++) entries[index] = (struct pollfd){ .fd = fds[index], .events = POLLIN, .revents = 0 };
    struct timespec timeout = { .tv_sec = timeout_ns / 1000000000, .tv_nsec = timeout_ns % 1000000000 };
    int ready = ppoll(entries, (nfds_t)count, timeout_ns < 0 ? NULL : &timeout, NULL);
    if (ready < 0) return errno == EINTR ? 0 : -1;
    return ready;
}
