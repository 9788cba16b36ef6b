#ifndef FLEXPOSIX_H
#define FLEXPOSIX_H
// The C half of the POSIX sockets library (libFlexTCPPOSIX.so, LD_PRELOAD): what the Swift half
// needs from the kernel and libc without going through the library's own interposed symbols.
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/// What a descriptor is to the library.
enum flexposix_descriptor_kind {
    FLEXPOSIX_KERNEL = 0,      ///< not the library's: every call goes to libc untouched
    FLEXPOSIX_SOCKET = 1,      ///< a FlexTCP socket (an eventfd standing for it)
    FLEXPOSIX_INHERITED = 2,   ///< a FlexTCP socket of the parent, in a forked child: only close works
    FLEXPOSIX_EPOLL = 3,       ///< an epoll descriptor with FlexTCP sockets registered in it
};

/// The descriptor table covers descriptors below this.
#define FLEXPOSIX_TABLE_SIZE (1 << 20)

/// The kind of `fd` (FLEXPOSIX_KERNEL for descriptors out of the table's range).
int flexposix_kind(int fd);
/// Sets the kind of `fd` (ignored out of range).
void flexposix_set_kind(int fd, int kind);

/// The library's lock (a plain mutex, made new in a forked child).
void flexposix_lock(void);
void flexposix_unlock(void);

/// Counts forks: a child sees a number different from its parent's.
unsigned flexposix_fork_generation(void);
/// The attach socket, closed in a forked child (-1: none).
void flexposix_set_service_socket(int fd);

/// The data of an epoll set's wake-up eventfd in the kernel epoll (told apart from the program's entries).
#define FLEXPOSIX_EPOLL_WAKE_MARKER 0xF1E77C9F5EEDC0DEULL
/// The data of the context's wake-up eventfd (flextcpd signals it) in the kernel epoll.
#define FLEXPOSIX_CONTEXT_WAKE_MARKER 0xF1E77C9FC0E7E7EDULL
/// In a forked child: `epfd` (inherited, holding FlexTCP interests) becomes an epoll instance of
/// the child's own under the same number, with the kernel descriptors' interests of the parent's
/// (from /proc/self/fdinfo) but not the parent's wake-up eventfd, whose inherited copy is closed,
/// nor the parent's context eventfd.
/// Linux would leave the instance shared; shared, the parent's wake-ups would reach the child.
void flexposix_own_epoll_in_child(int epfd);

/// A new eventfd (non-blocking; close-on-exec if `cloexec`), or -1 with errno set.
int flexposix_eventfd(int cloexec);
/// Adds one to the eventfd's counter (makes it readable).
void flexposix_eventfd_signal(int fd);
/// Empties the eventfd's counter (non-blocking read).
void flexposix_eventfd_drain(int fd);
/// This thread's own wake-up eventfd (made at its first use, closed when the thread ends).
int flexposix_thread_wake(void);
/// This thread's wake-up eventfd if it has one, else -1 (makes none).
int flexposix_thread_wake_if_made(void);

/// What the Swift half's bind/connect return when the socket became a kernel socket (a loopback
/// address): the C half then makes libc's call on the same descriptor.
#define FLEXPOSIX_NOW_KERNEL 0x10000000

/// libc's own functions, past the library's interposed ones.
int flexposix_real_socket(int domain, int type, int protocol);
int flexposix_real_setsockopt(int fd, int level, int name, const void *value, socklen_t length);
/// libc's bind of `fd` to IPv4 `address`:`port` (both in host order).
int flexposix_real_bind_inet(int fd, uint32_t address, uint16_t port);
int flexposix_real_fcntl(int fd, int command, int argument);
int flexposix_real_close(int fd);
int flexposix_real_ppoll(struct pollfd *fds, nfds_t count, int64_t timeout_ns, const sigset_t *mask);
int flexposix_real_epoll_wait(int epfd, void *events, int max, int timeout_ms, const sigset_t *mask);
int flexposix_real_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
ssize_t flexposix_real_read(int fd, void *buffer, size_t count);
ssize_t flexposix_real_pread(int fd, void *buffer, size_t count, off_t offset);
int flexposix_real_dup2(int from, int to);

/// Entry `index` of an array of (packed) struct epoll_event.
void flexposix_epoll_event_set(void *events, int index, uint32_t mask, uint64_t data);
void flexposix_epoll_event_get(const void *event, uint32_t *mask, uint64_t *data);

/// After a sleep that a signal handler interrupted (EINTR): 1 if the call is restarted as Linux
/// restarts it under SA_RESTART, that is when every handler that can run in this thread (installed,
/// the signal not blocked here) has SA_RESTART (which one ran is not known: with mixed flags, 0).
int flexposix_interrupt_restarts(void);

/// Raises SIGPIPE in the calling thread (what a kernel socket does on EPIPE without MSG_NOSIGNAL).
void flexposix_raise_sigpipe(void);
/// Writes `text` to standard error (one line, for the library's few messages).
void flexposix_report(const char *text);

#endif
