#ifndef FLEXSHIM_SOCKET_H
#define FLEXSHIM_SOCKET_H
// Linux socket calls Swift's Glibc module leaves out: epoll (<sys/epoll.h>; Swift imports the packed
// x86-64 struct epoll_event with its 12-byte layout) and accept4(2), which needs _GNU_SOURCE.
#include <sys/epoll.h>

/// Accepts one waiting connection on `listener` as a non-blocking, close-on-exec socket.
/// Returns the new descriptor, or -1 with errno set (EAGAIN: no connection is waiting).
int flexshim_accept_nonblocking(int listener);

#endif
