// The interposed socket and descriptor calls: FlexTCP descriptors go to the Swift half, every
// other descriptor to libc untouched. Only TCP over IPv4 sockets become FlexTCP sockets.
#define _GNU_SOURCE
#include "entry.h"
#include "flexposix.h"
#include "real.h"
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/// True (with errno EBADF) for a parent's FlexTCP socket in a forked child.
static int inherited(int fd) {
    if (flexposix_kind(fd) != FLEXPOSIX_INHERITED) return 0;
    errno = EBADF;
    return 1;
}

#define IS_FLEX(fd) (flexposix_kind(fd) == FLEXPOSIX_SOCKET)

/// The iovec count of a msghdr for the Swift half, or -1 with errno set as Linux answers: EFAULT
/// for no msghdr, EMSGSIZE beyond UIO_MAXIOV (1024) iovecs.
static int message_pieces(const struct msghdr *message) {
    if (message == NULL) {
        errno = EFAULT;
        return -1;
    }
    if (message->msg_iovlen > 1024) {
        errno = EMSGSIZE;
        return -1;
    }
    return (int)message->msg_iovlen;
}

int socket(int domain, int type, int protocol) {
    if (domain == AF_INET && (type & 0xff) == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP))
        return (int)flexposix_settle(flexposix_swift_socket(type));
    return REAL(socket)(domain, type, protocol);
}

int bind(int fd, const struct sockaddr *address, socklen_t length) {
    if (IS_FLEX(fd)) {
        long result = flexposix_settle(flexposix_swift_bind(fd, address, length));
        if (result != FLEXPOSIX_NOW_KERNEL) return (int)result;
    }
    if (inherited(fd)) return -1;
    return REAL(bind)(fd, address, length);
}

int listen(int fd, int backlog) {
    if (IS_FLEX(fd)) return (int)flexposix_settle(flexposix_swift_listen(fd, backlog));
    if (inherited(fd)) return -1;
    return REAL(listen)(fd, backlog);
}

int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) {
    if (IS_FLEX(fd)) return (int)flexposix_settle(flexposix_swift_accept(fd, address, length, flags));
    if (inherited(fd)) return -1;
    return REAL(accept4)(fd, address, length, flags);
}

int accept(int fd, struct sockaddr *address, socklen_t *length) {
    if (IS_FLEX(fd)) return (int)flexposix_settle(flexposix_swift_accept(fd, address, length, 0));
    if (inherited(fd)) return -1;
    return REAL(accept)(fd, address, length);
}

int connect(int fd, const struct sockaddr *address, socklen_t length) {
    if (IS_FLEX(fd)) {
        long result = flexposix_settle(flexposix_swift_connect(fd, address, length));
        if (result != FLEXPOSIX_NOW_KERNEL) return (int)result;
    }
    if (inherited(fd)) return -1;
    return REAL(connect)(fd, address, length);
}

// MARK: receiving

ssize_t read(int fd, void *buffer, size_t count) {
    if (IS_FLEX(fd)) {
        struct iovec piece = {buffer, count};
        return flexposix_settle(flexposix_swift_receive(fd, &piece, 1, 0));
    }
    if (inherited(fd)) return -1;
    return REAL(read)(fd, buffer, count);
}

ssize_t __read_chk(int fd, void *buffer, size_t count, size_t size) {
    if (count > size) return REAL(__read_chk)(fd, buffer, count, size);
    return read(fd, buffer, count);
}

ssize_t recv(int fd, void *buffer, size_t count, int flags) {
    if (IS_FLEX(fd)) {
        struct iovec piece = {buffer, count};
        return flexposix_settle(flexposix_swift_receive(fd, &piece, 1, flags));
    }
    if (inherited(fd)) return -1;
    return REAL(recv)(fd, buffer, count, flags);
}

ssize_t __recv_chk(int fd, void *buffer, size_t count, size_t size, int flags) {
    if (count > size) return REAL(__recv_chk)(fd, buffer, count, size, flags);
    return recv(fd, buffer, count, flags);
}

ssize_t recvfrom(int fd, void *buffer, size_t count, int flags, struct sockaddr *address, socklen_t *length) {
    if (IS_FLEX(fd)) {
        struct iovec piece = {buffer, count};
        long result = flexposix_settle(flexposix_swift_receive(fd, &piece, 1, flags));
        // A stream socket names no sender (as Linux TCP: the address length becomes 0).
        if (result >= 0 && address != NULL && length != NULL) *length = 0;
        return result;
    }
    if (inherited(fd)) return -1;
    return REAL(recvfrom)(fd, buffer, count, flags, address, length);
}

ssize_t __recvfrom_chk(int fd, void *buffer, size_t count, size_t size, int flags, struct sockaddr *address, socklen_t *length) {
    if (count > size) return REAL(__recvfrom_chk)(fd, buffer, count, size, flags, address, length);
    return recvfrom(fd, buffer, count, flags, address, length);
}

ssize_t recvmsg(int fd, struct msghdr *message, int flags) {
    if (IS_FLEX(fd)) {
        int count = message_pieces(message);
        if (count < 0) return -1;
        long result = flexposix_settle(flexposix_swift_receive(fd, message->msg_iov, count, flags));
        if (result >= 0) {
            message->msg_namelen = 0;
            message->msg_controllen = 0;
            message->msg_flags = 0;
        }
        return result;
    }
    if (inherited(fd)) return -1;
    return REAL(recvmsg)(fd, message, flags);
}

ssize_t readv(int fd, const struct iovec *pieces, int count) {
    if (IS_FLEX(fd)) return flexposix_settle(flexposix_swift_receive(fd, pieces, count, 0));
    if (inherited(fd)) return -1;
    return REAL(readv)(fd, pieces, count);
}

// MARK: sending

ssize_t write(int fd, const void *buffer, size_t count) {
    if (IS_FLEX(fd)) {
        struct iovec piece = {(void *)buffer, count};
        return flexposix_settle(flexposix_swift_send(fd, &piece, 1, 0));
    }
    if (inherited(fd)) return -1;
    return REAL(write)(fd, buffer, count);
}

ssize_t send(int fd, const void *buffer, size_t count, int flags) {
    if (IS_FLEX(fd)) {
        struct iovec piece = {(void *)buffer, count};
        return flexposix_settle(flexposix_swift_send(fd, &piece, 1, flags));
    }
    if (inherited(fd)) return -1;
    return REAL(send)(fd, buffer, count, flags);
}

ssize_t sendto(int fd, const void *buffer, size_t count, int flags, const struct sockaddr *address, socklen_t length) {
    // A connected stream socket ignores the address (as Linux TCP does).
    if (IS_FLEX(fd)) return send(fd, buffer, count, flags);
    if (inherited(fd)) return -1;
    return REAL(sendto)(fd, buffer, count, flags, address, length);
}

ssize_t sendmsg(int fd, const struct msghdr *message, int flags) {
    if (IS_FLEX(fd)) {
        int count = message_pieces(message);
        if (count < 0) return -1;
        return flexposix_settle(flexposix_swift_send(fd, message->msg_iov, count, flags));
    }
    if (inherited(fd)) return -1;
    return REAL(sendmsg)(fd, message, flags);
}

ssize_t writev(int fd, const struct iovec *pieces, int count) {
    if (IS_FLEX(fd)) return flexposix_settle(flexposix_swift_send(fd, pieces, count, 0));
    if (inherited(fd)) return -1;
    return REAL(writev)(fd, pieces, count);
}

ssize_t sendfile(int fd, int source, off_t *offset, size_t count) {
    if (IS_FLEX(source)) {  // as Linux: a socket cannot be sendfile's source
        errno = EINVAL;
        return -1;
    }
    if (IS_FLEX(fd)) return flexposix_settle(flexposix_swift_sendfile(fd, source, offset, count));
    if (inherited(fd) || inherited(source)) return -1;
    return REAL(sendfile)(fd, source, offset, count);
}

ssize_t sendfile64(int fd, int source, off64_t *offset, size_t count) {
    return sendfile(fd, source, (off_t *)offset, count);
}

// MARK: descriptors

int close(int fd) {
    int kind = flexposix_kind(fd);
    if (kind == FLEXPOSIX_SOCKET) return (int)flexposix_settle(flexposix_swift_close(fd));
    if (kind == FLEXPOSIX_INHERITED) flexposix_set_kind(fd, FLEXPOSIX_KERNEL);
    if (kind == FLEXPOSIX_EPOLL) flexposix_swift_epoll_closed(fd);
    return REAL(close)(fd);
}

/// Descriptors `first`...`last` are about to be closed together: what the library held for them goes.
static void forget_range(unsigned first, unsigned last) {
    if (last >= FLEXPOSIX_TABLE_SIZE) last = FLEXPOSIX_TABLE_SIZE - 1;
    for (unsigned fd = first; fd <= last; fd++) {
        int kind = flexposix_kind((int)fd);
        if (kind == FLEXPOSIX_SOCKET) flexposix_swift_release((int)fd);
        else if (kind == FLEXPOSIX_INHERITED) flexposix_set_kind((int)fd, FLEXPOSIX_KERNEL);
        else if (kind == FLEXPOSIX_EPOLL) flexposix_swift_epoll_closed((int)fd);
    }
}

int close_range(unsigned first, unsigned last, int flags) {
    if (first <= last && !(flags & CLOSE_RANGE_CLOEXEC)) forget_range(first, last);
    return REAL(close_range)(first, last, flags);
}

void closefrom(int lowest) {
    if (lowest >= 0) forget_range((unsigned)lowest, ~0u);
    REAL(closefrom)(lowest);
}

int shutdown(int fd, int how) {
    if (IS_FLEX(fd)) return (int)flexposix_settle(flexposix_swift_shutdown(fd, how));
    if (inherited(fd)) return -1;
    return REAL(shutdown)(fd, how);
}

int dup(int fd) {
    if (inherited(fd)) return -1;
    int copy = REAL(dup)(fd);
    if (copy >= 0 && IS_FLEX(fd)) flexposix_swift_adopt(fd, copy);
    return copy;
}

/// dup2/dup3: `to` stops being what it was (a FlexTCP socket loses that descriptor), then names `from`'s file.
static int duplicate(int from, int to, int flags, int use_dup3) {
    if (inherited(from)) return -1;
    if (from == to && !use_dup3) return REAL(fcntl)(from, F_GETFD) < 0 ? -1 : to;
    int kind = flexposix_kind(to);
    int result = use_dup3 ? REAL(dup3)(from, to, flags) : REAL(dup2)(from, to);
    if (result < 0) return result;
    if (kind == FLEXPOSIX_SOCKET) flexposix_swift_release(to);
    else if (kind == FLEXPOSIX_INHERITED) flexposix_set_kind(to, FLEXPOSIX_KERNEL);
    else if (kind == FLEXPOSIX_EPOLL) flexposix_swift_epoll_closed(to);
    if (IS_FLEX(from)) flexposix_swift_adopt(from, to);
    return result;
}

int dup2(int from, int to) { return duplicate(from, to, 0, 0); }
int dup3(int from, int to, int flags) { return duplicate(from, to, flags, 1); }

static int control(int fd, int command, void *argument) {
    if (IS_FLEX(fd)) {
        switch (command) {
        case F_GETFL:
        case F_SETFL:
            return (int)flexposix_settle(flexposix_swift_fcntl(fd, command, (long)argument));
        case F_DUPFD:
        case F_DUPFD_CLOEXEC: {
            int copy = REAL(fcntl)(fd, command, argument);
            if (copy >= 0) flexposix_swift_adopt(fd, copy);
            return copy;
        }
        case F_SETOWN:
        case F_SETSIG:
            return 0;  // accepted; FlexTCP sockets raise no SIGIO
        case F_GETOWN:
        case F_GETSIG:
            return 0;
        default:
            break;  // descriptor flags (FD_CLOEXEC) and the rest: the eventfd's own
        }
    } else if (inherited(fd)) {
        return -1;
    }
    return REAL(fcntl)(fd, command, argument);
}

int fcntl(int fd, int command, ...) {
    va_list arguments;
    va_start(arguments, command);
    void *argument = va_arg(arguments, void *);
    va_end(arguments);
    return control(fd, command, argument);
}

int fcntl64(int fd, int command, ...) __attribute__((alias("fcntl")));

int ioctl(int fd, unsigned long request, ...) {
    va_list arguments;
    va_start(arguments, request);
    void *argument = va_arg(arguments, void *);
    va_end(arguments);
    if (IS_FLEX(fd)) return (int)flexposix_settle(flexposix_swift_ioctl(fd, request, argument));
    if (inherited(fd)) return -1;
    return REAL(ioctl)(fd, request, argument);
}

// MARK: options and names

int getsockopt(int fd, int level, int name, void *value, socklen_t *length) {
    if (IS_FLEX(fd)) return (int)flexposix_settle(flexposix_swift_getsockopt(fd, level, name, value, length));
    if (inherited(fd)) return -1;
    return REAL(getsockopt)(fd, level, name, value, length);
}

int setsockopt(int fd, int level, int name, const void *value, socklen_t length) {
    if (IS_FLEX(fd)) return (int)flexposix_settle(flexposix_swift_setsockopt(fd, level, name, value, length));
    if (inherited(fd)) return -1;
    return REAL(setsockopt)(fd, level, name, value, length);
}

int getsockname(int fd, struct sockaddr *address, socklen_t *length) {
    if (IS_FLEX(fd)) return (int)flexposix_settle(flexposix_swift_name(fd, 0, address, length));
    if (inherited(fd)) return -1;
    return REAL(getsockname)(fd, address, length);
}

int getpeername(int fd, struct sockaddr *address, socklen_t *length) {
    if (IS_FLEX(fd)) return (int)flexposix_settle(flexposix_swift_name(fd, 1, address, length));
    if (inherited(fd)) return -1;
    return REAL(getpeername)(fd, address, length);
}
