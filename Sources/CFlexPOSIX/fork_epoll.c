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

/// Adds to `own` the interest one complete fdinfo line (`line` up to `end`, its '\n') describes;
/// other lines (pos, flags, mnt_id, ino) have no tfd/events/data and are skipped.
static void add_interest(int own, const char *line, const char *end) {
    int hasTarget, hasEvents, hasData;
    int target = (int)number_after(line, end, "tfd:", 10, &hasTarget);
    uint32_t events = (uint32_t)number_after(line, end, "events:", 16, &hasEvents);
    uint64_t data = number_after(line, end, "data:", 16, &hasData);
    if (!hasTarget || !hasEvents || !hasData) return;
    if (data == FLEXPOSIX_EPOLL_WAKE_MARKER) {
        syscall(SYS_close, target);  // the parent's wake-up eventfd: not the child's
    } else if (data != FLEXPOSIX_CONTEXT_WAKE_MARKER) {  // the parent's context: not the child's either
        struct epoll_event event = {.events = events, .data.u64 = data};
        syscall(SYS_epoll_ctl, own, EPOLL_CTL_ADD, target, &event);
    }
}

/// Reads the fdinfo at `info` in chunks, adding each complete line's interest to `own`; 0 when
/// every line was read, -1 on a read error or a line longer than the buffer (the kernel writes
/// lines of about 80 bytes).
static int add_interests(int own, int info) {
    char buffer[4096];
    size_t kept = 0;  // bytes of an incomplete line at the buffer's start
    while (1) {
        long got = syscall(SYS_read, info, buffer + kept, sizeof buffer - kept);
        if (got < 0) return -1;
        if (got == 0) return 0;  // a last line without '\n' is incomplete: not parsed
        const char *line = buffer, *end = buffer + kept + (size_t)got;
        for (const char *at = line; at < end; at++) {
            if (*at != '\n') continue;
            add_interest(own, line, at);
            line = at + 1;
        }
        kept = (size_t)(end - line);
        if (kept == sizeof buffer) return -1;
        for (size_t index = 0; index < kept; index++) buffer[index] = line[index];
    }
}

void flexposix_own_epoll_in_child(int epfd) {
    static const char failure[] = "flextcp: a forked child cannot rebuild an inherited epoll descriptor; it may report the parent's FlexTCP wake-ups";
    char path[40] = "/proc/self/fdinfo/";
    char digits[12];
    int count = 0;
    for (unsigned value = (unsigned)epfd; count == 0 || value > 0; value /= 10) digits[count++] = (char)('0' + value % 10);
    int length = 18;
    while (count > 0) path[length++] = digits[--count];
    path[length] = 0;
    int flags = (int)syscall(SYS_fcntl, epfd, F_GETFD);
    int info = flags < 0 ? -1 : (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    int own = info < 0 ? -1 : (int)syscall(SYS_epoll_create1, EPOLL_CLOEXEC);
    if (own < 0) {
        if (info >= 0) syscall(SYS_close, info);
        flexposix_report(failure);
        return;
    }
    int listed = add_interests(own, info);
    syscall(SYS_close, info);
    if (listed < 0 || syscall(SYS_dup3, own, epfd, (flags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0) flexposix_report(failure);
    syscall(SYS_close, own);
}
