// A forked child's own copy of each inherited epoll descriptor that held FlexTCP interests.
#define _GNU_SOURCE
#include "flexposix.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

/// The decimal or hexadecimal number after `label` in `line` (up to `end`), skipping spaces; 0
/// with *found = 0 when the label is missing.
static uint64_t number_after(const char *line, const char *end, const char *label, int base, int *found) {
    size_t length = 0;
    while (label[length]) length++;
    for (const char *at = line; at + length <= end; at++) {
        size_t matched = 0;
        while (matched < length && at[matched] == label[matched]) matched++;
        if (matched < length) continue;
        const char *digit = at + length;
        while (digit < end && *digit == ' ') digit++;
        uint64_t value = 0;
        int digits = 0;
        for (; digit < end; digit++, digits++) {
            int d = *digit >= '0' && *digit <= '9' ? *digit - '0'
                  : base == 16 && *digit >= 'a' && *digit <= 'f' ? *digit - 'a' + 10 : -1;
            if (d < 0) break;
            value = value * (uint64_t)base + (uint64_t)d;
        }
        *found = digits > 0;
        return value;
    }
    *found = 0;
    return 0;
}

/// The fdinfo of an epoll descriptor: up to 1 MiB (about 10,000 interests) is read.
static char fdinfo[1 << 20];

void flexposix_own_epoll_in_child(int epfd) {
    char path[40] = "/proc/self/fdinfo/";
    char digits[12];
    int count = 0;
    for (unsigned value = (unsigned)epfd; count == 0 || value > 0; value /= 10) digits[count++] = (char)('0' + value % 10);
    int length = 18;
    while (count > 0) path[length++] = digits[--count];
    path[length] = 0;
    int info = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (info < 0) return;
    size_t filled = 0;
    for (long got; filled < sizeof fdinfo && (got = syscall(SYS_read, info, fdinfo + filled, sizeof fdinfo - filled)) > 0;)
        filled += (size_t)got;
    syscall(SYS_close, info);
    int closeOnExec = (int)syscall(SYS_fcntl, epfd, F_GETFD) & FD_CLOEXEC;
    int own = (int)syscall(SYS_epoll_create1, EPOLL_CLOEXEC);
    if (own < 0) return;
    for (const char *line = fdinfo, *end = fdinfo + filled; line < end;) {
        const char *next = line;
        while (next < end && *next != '\n') next++;
        int hasTarget, hasEvents, hasData;
        int target = (int)number_after(line, next, "tfd:", 10, &hasTarget);
        uint32_t events = (uint32_t)number_after(line, next, "events:", 16, &hasEvents);
        uint64_t data = number_after(line, next, "data:", 16, &hasData);
        if (hasTarget && hasEvents && hasData) {
            if (data == FLEXPOSIX_EPOLL_WAKE_MARKER) {
                syscall(SYS_close, target);  // the parent's wake-up eventfd: not the child's
            } else {
                struct epoll_event event = {.events = events, .data.u64 = data};
                syscall(SYS_epoll_ctl, own, EPOLL_CTL_ADD, target, &event);
            }
        }
        line = next + 1;
    }
    syscall(SYS_dup3, own, epfd, closeOnExec ? O_CLOEXEC : 0);
    syscall(SYS_close, own);
}
