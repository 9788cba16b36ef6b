#ifndef FLEXPOSIX_ENTRY_H
#define FLEXPOSIX_ENTRY_H
// The Swift half's entry points (@_cdecl in Sources/FlexTCPPOSIX), called for FlexTCP descriptors
// only. Each returns a count or 0 on success, or a negated errno value.
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

int flexposix_swift_socket(int type);
int flexposix_swift_bind(int fd, const struct sockaddr *address, socklen_t length);
int flexposix_swift_listen(int fd, int backlog);
int flexposix_swift_accept(int fd, struct sockaddr *address, socklen_t *length, int flags);
int flexposix_swift_connect(int fd, const struct sockaddr *address, socklen_t length);
long flexposix_swift_receive(int fd, const struct iovec *pieces, int count, int flags);
long flexposix_swift_send(int fd, const struct iovec *pieces, int count, int flags);
long flexposix_swift_sendfile(int fd, int source, off_t *offset, size_t count);
int flexposix_swift_close(int fd);
void flexposix_swift_release(int fd);
void flexposix_swift_adopt(int from, int to);
int flexposix_swift_shutdown(int fd, int how);
int flexposix_swift_fcntl(int fd, int command, long argument);
int flexposix_swift_ioctl(int fd, unsigned long request, void *argument);
int flexposix_swift_getsockopt(int fd, int level, int name, void *value, socklen_t *length);
int flexposix_swift_setsockopt(int fd, int level, int name, const void *value, socklen_t length);
int flexposix_swift_name(int fd, int peer, struct sockaddr *address, socklen_t *length);
int flexposix_swift_poll(struct pollfd *fds, nfds_t count, int64_t timeout_ns, const sigset_t *mask);
int flexposix_swift_epoll_ctl(int epfd, int op, int fd, const void *event);
int flexposix_swift_epoll_wait(int epfd, void *events, int max, int64_t timeout_ns, const sigset_t *mask);
void flexposix_swift_epoll_closed(int epfd);
void flexposix_swift_exit(void);

#endif
