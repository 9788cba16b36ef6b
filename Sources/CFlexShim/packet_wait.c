#define _GNU_SOURCE
#if defined(__linux__)
#include "flexshim_packet.h"
#include <errno.h>
#include <poll.h>
#include <time.h>

int flexshim_wait_readable(int fd, int64_t timeout_nanoseconds) {
    struct pollfd request = { .fd = fd, .events = POLLIN, .revents = 0 };
    struct timespec limit = {
        .tv_sec = (time_t)(timeout_nanoseconds / 1000000000),
        .tv_nsec = (long)(timeout_nanoseconds % 1000000000),
    };
    int ready = ppoll(&request, 1, timeout_nanoseconds < 0 ? NULL : &limit, NULL);
    if (ready < 0) return -errno;
    return ready;
}
#endif
