// The interposed waiting calls: poll, ppoll, select, pselect and epoll. Calls that involve no
// FlexTCP socket go to libc untouched; the others to the Swift half, which reports FlexTCP
// readiness itself and waits in the kernel for the other descriptors and its own wake-ups.
#define _GNU_SOURCE
#include "entry.h"
#include "flexposix.h"
#include "real.h"
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>

static int involves_flex(const struct pollfd *fds, nfds_t count) {
    for (nfds_t index = 0; index < count; index++) {
        int kind = flexposix_kind(fds[index].fd);
        if (kind == FLEXPOSIX_SOCKET || kind == FLEXPOSIX_INHERITED) return 1;
    }
    return 0;
}

static int64_t timespec_ns(const struct timespec *timeout) {
    if (timeout == NULL) return -1;
    return (int64_t)timeout->tv_sec * 1000000000 + timeout->tv_nsec;
}

int poll(struct pollfd *fds, nfds_t count, int timeout_ms) {
    if (!involves_flex(fds, count)) return REAL(poll)(fds, count, timeout_ms);
    return (int)flexposix_settle(flexposix_swift_poll(fds, count, timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000000, NULL));
}

int __poll_chk(struct pollfd *fds, nfds_t count, int timeout_ms, size_t size) {
    if (count > size / sizeof *fds) return REAL(__poll_chk)(fds, count, timeout_ms, size);
    return poll(fds, count, timeout_ms);
}

int ppoll(struct pollfd *fds, nfds_t count, const struct timespec *timeout, const sigset_t *mask) {
    if (!involves_flex(fds, count)) return REAL(ppoll)(fds, count, timeout, mask);
    return (int)flexposix_settle(flexposix_swift_poll(fds, count, timespec_ns(timeout), mask));
}

int __ppoll_chk(struct pollfd *fds, nfds_t count, const struct timespec *timeout, const sigset_t *mask, size_t size) {
    if (count > size / sizeof *fds) return REAL(__ppoll_chk)(fds, count, timeout, mask, size);
    return ppoll(fds, count, timeout, mask);
}

/// select/pselect over poll when a FlexTCP socket is in a set: the sets become pollfds and back.
static int select_over_poll(int count, fd_set *readable, fd_set *writable, fd_set *exceptional, int64_t timeout_ns,
                            const sigset_t *mask) {
    struct pollfd *fds = calloc(count > 0 ? (size_t)count : 1, sizeof *fds);
    if (fds == NULL) {
        errno = ENOMEM;
        return -1;
    }
    nfds_t used = 0;
    for (int fd = 0; fd < count; fd++) {
        short events = 0;
        if (readable && FD_ISSET(fd, readable)) events |= POLLIN;
        if (writable && FD_ISSET(fd, writable)) events |= POLLOUT;
        if (exceptional && FD_ISSET(fd, exceptional)) events |= POLLPRI;
        if (events) fds[used++] = (struct pollfd){.fd = fd, .events = events};
    }
    long result = flexposix_settle(flexposix_swift_poll(fds, used, timeout_ns, mask));
    if (result < 0) {
        free(fds);
        return -1;
    }
    for (nfds_t index = 0; index < used; index++) {
        if (fds[index].revents & POLLNVAL) {
            free(fds);
            errno = EBADF;
            return -1;
        }
    }
    if (readable) FD_ZERO(readable);
    if (writable) FD_ZERO(writable);
    if (exceptional) FD_ZERO(exceptional);
    int ready = 0;
    for (nfds_t index = 0; index < used; index++) {
        short got = fds[index].revents, asked = fds[index].events;
        int fd = fds[index].fd;
        // As Linux: a hang-up or error makes a socket readable and writable for select.
        if ((asked & POLLIN) && (got & (POLLIN | POLLHUP | POLLERR))) { FD_SET(fd, readable); ready++; }
        if ((asked & POLLOUT) && (got & (POLLOUT | POLLERR))) { FD_SET(fd, writable); ready++; }
        if ((asked & POLLPRI) && (got & POLLPRI)) { FD_SET(fd, exceptional); ready++; }
    }
    free(fds);
    return ready;
}

/// select/pselect go over poll when a FlexTCP socket is in a set (and the sets are valid for poll).
static int sets_involve_flex(int count, fd_set *readable, fd_set *writable, fd_set *exceptional) {
    if (count > FD_SETSIZE) return 0;
    for (int fd = 0; fd < count && fd < FD_SETSIZE; fd++) {
        int kind = flexposix_kind(fd);
        if (kind != FLEXPOSIX_SOCKET && kind != FLEXPOSIX_INHERITED) continue;
        if ((readable && FD_ISSET(fd, readable)) || (writable && FD_ISSET(fd, writable)) ||
            (exceptional && FD_ISSET(fd, exceptional)))
            return 1;
    }
    return 0;
}

int select(int count, fd_set *readable, fd_set *writable, fd_set *exceptional, struct timeval *timeout) {
    if (!sets_involve_flex(count, readable, writable, exceptional))
        return REAL(select)(count, readable, writable, exceptional, timeout);
    int64_t timeout_ns = timeout ? (int64_t)timeout->tv_sec * 1000000000 + (int64_t)timeout->tv_usec * 1000 : -1;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int result = select_over_poll(count, readable, writable, exceptional, timeout_ns, NULL);
    if (timeout) {
        // Linux select leaves the time not slept in the timeout.
        struct timespec end;
        clock_gettime(CLOCK_MONOTONIC, &end);
        int64_t slept = (end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec);
        int64_t left = timeout_ns > slept ? timeout_ns - slept : 0;
        timeout->tv_sec = left / 1000000000;
        timeout->tv_usec = (left % 1000000000) / 1000;
    }
    return result;
}

int pselect(int count, fd_set *readable, fd_set *writable, fd_set *exceptional, const struct timespec *timeout,
            const sigset_t *mask) {
    if (!sets_involve_flex(count, readable, writable, exceptional))
        return REAL(pselect)(count, readable, writable, exceptional, timeout, mask);
    return select_over_poll(count, readable, writable, exceptional, timespec_ns(timeout), mask);
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event) {
    int kind = flexposix_kind(fd);
    if (kind == FLEXPOSIX_SOCKET) return (int)flexposix_settle(flexposix_swift_epoll_ctl(epfd, op, fd, event));
    if (kind == FLEXPOSIX_INHERITED) {
        errno = EBADF;
        return -1;
    }
    return REAL(epoll_ctl)(epfd, op, fd, event);
}

int epoll_pwait(int epfd, struct epoll_event *events, int max, int timeout_ms, const sigset_t *mask) {
    if (flexposix_kind(epfd) != FLEXPOSIX_EPOLL) return REAL(epoll_pwait)(epfd, events, max, timeout_ms, mask);
    return (int)flexposix_settle(flexposix_swift_epoll_wait(epfd, events, max, timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000000, mask));
}

int epoll_wait(int epfd, struct epoll_event *events, int max, int timeout_ms) {
    if (flexposix_kind(epfd) != FLEXPOSIX_EPOLL) return REAL(epoll_wait)(epfd, events, max, timeout_ms);
    return epoll_pwait(epfd, events, max, timeout_ms, NULL);
}

int epoll_pwait2(int epfd, struct epoll_event *events, int max, const struct timespec *timeout, const sigset_t *mask) {
    if (flexposix_kind(epfd) != FLEXPOSIX_EPOLL) return REAL(epoll_pwait2)(epfd, events, max, timeout, mask);
    return (int)flexposix_settle(flexposix_swift_epoll_wait(epfd, events, max, timespec_ns(timeout), mask));
}
