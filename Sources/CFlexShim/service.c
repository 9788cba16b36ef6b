#define _GNU_SOURCE
#include "flexshim_service.h"
#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

int flexshim_memfd_create(const char *name, size_t length) {
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return -1;
    // Sealed at its size: an application that holds the descriptor cannot shrink the file under the
    // service's shared mapping (the service's next access would die of SIGBUS).
    if (ftruncate(fd, (off_t)length) != 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

void *flexshim_reserve_address_space(size_t length) {
    void *address = mmap(NULL, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return address == MAP_FAILED ? NULL : address;
}

void *flexshim_map_shared(void *address, int fd, size_t length) {
    int flags = MAP_SHARED | (address != NULL ? MAP_FIXED : 0);
    void *mapped = mmap(address, length, PROT_READ | PROT_WRITE, flags, fd, 0);
    return mapped == MAP_FAILED ? NULL : mapped;
}

int flexshim_unmap_to_reservation(void *address, size_t length) {
    void *mapped = mmap(address, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    return mapped == MAP_FAILED ? -1 : 0;
}

int flexshim_unmap(void *address, size_t length) { return munmap(address, length); }

long flexshim_send_with_descriptors(int socket, const void *bytes, size_t length, const int *fds, int count) {
    if (count < 0 || count > 64) { errno = EINVAL; return -1; }
    struct iovec vector = { .iov_base = (void *)bytes, .iov_len = length };
    union { char buffer[CMSG_SPACE(64 * sizeof(int))]; struct cmsghdr align; } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = { .msg_iov = &vector, .msg_iovlen = 1 };
    if (count > 0) {
        message.msg_control = control.buffer;
        message.msg_controllen = CMSG_SPACE(count * sizeof(int));
        struct cmsghdr *header = CMSG_FIRSTHDR(&message);
        header->cmsg_level = SOL_SOCKET;
        header->cmsg_type = SCM_RIGHTS;
        header->cmsg_len = CMSG_LEN(count * sizeof(int));
        memcpy(CMSG_DATA(header), fds, count * sizeof(int));
    }
    return sendmsg(socket, &message, MSG_NOSIGNAL);
}

long flexshim_receive_with_descriptors(int socket, void *bytes, size_t capacity, int *fds, int capacity_fds, int *count_fds) {
    struct iovec vector = { .iov_base = bytes, .iov_len = capacity };
    union { char buffer[CMSG_SPACE(64 * sizeof(int))]; struct cmsghdr align; } control;
    struct msghdr message = { .msg_iov = &vector, .msg_iovlen = 1, .msg_control = control.buffer,
                              .msg_controllen = sizeof control.buffer };
    *count_fds = 0;
    long received = recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
    if (received < 0) return -1;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header != NULL; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
        int arrived = (int)((header->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        int *data = (int *)CMSG_DATA(header);
        for (int index = 0; index < arrived; index++) {
            if (*count_fds < capacity_fds) fds[(*count_fds)++] = data[index];
            else close(data[index]);
        }
    }
    return received;
}

static int fill_address(struct sockaddr_un *address, const char *path) {
    memset(address, 0, sizeof *address);
    address->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof address->sun_path) { errno = ENAMETOOLONG; return -1; }
    strcpy(address->sun_path, path);
    return 0;
}

// A new close-on-exec socket of `family` and `type` bound to `address` and listening (backlog >= 0)
// or connected to it (backlog < 0); or -1 with errno set (the socket closed).
static int bound_socket(int family, int type, const struct sockaddr *address, socklen_t length, int backlog) {
    int fd = socket(family, type | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    if (backlog >= 0 && family == AF_INET) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int failed = backlog >= 0 ? (bind(fd, address, length) != 0 || listen(fd, backlog) != 0) : connect(fd, address, length) != 0;
    if (failed) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static int unix_listen(const char *path, int backlog, int type) {
    struct sockaddr_un address;
    if (fill_address(&address, path) != 0) return -1;
    // Only a stale socket is replaced: another file is left alone (EEXIST), and a socket a running
    // service still accepts on is not taken over (EADDRINUSE).
    struct stat existing;
    if (lstat(path, &existing) == 0) {
        if (!S_ISSOCK(existing.st_mode)) { errno = EEXIST; return -1; }
        int probe = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        if (probe < 0) return -1;
        int answered = connect(probe, (struct sockaddr *)&address, sizeof address) == 0;
        int refused = !answered && errno == ECONNREFUSED;
        close(probe);
        if (answered) { errno = EADDRINUSE; return -1; }
        if (refused) unlink(path);
    }
    return bound_socket(AF_UNIX, type, (struct sockaddr *)&address, sizeof address, backlog);
}

int flexshim_unix_listen(const char *path, int backlog) { return unix_listen(path, backlog, SOCK_SEQPACKET); }

int flexshim_unix_stream_listen(const char *path, int backlog) { return unix_listen(path, backlog, SOCK_STREAM); }

static int unix_connect(const char *path, int type) {
    struct sockaddr_un address;
    if (fill_address(&address, path) != 0) return -1;
    return bound_socket(AF_UNIX, type, (struct sockaddr *)&address, sizeof address, -1);
}

int flexshim_unix_connect(const char *path) { return unix_connect(path, SOCK_SEQPACKET); }

int flexshim_unix_stream_connect(const char *path) { return unix_connect(path, SOCK_STREAM); }

static void fill_inet(struct sockaddr_in *address, uint32_t host, uint16_t port) {
    memset(address, 0, sizeof *address);
    address->sin_family = AF_INET;
    address->sin_addr.s_addr = htonl(host);
    address->sin_port = htons(port);
}

int flexshim_tcp_listen(uint32_t host, uint16_t port, int backlog) {
    struct sockaddr_in address;
    fill_inet(&address, host, port);
    return bound_socket(AF_INET, SOCK_STREAM, (struct sockaddr *)&address, sizeof address, backlog < 0 ? 0 : backlog);
}

int flexshim_tcp_connect(uint32_t host, uint16_t port) {
    struct sockaddr_in address;
    fill_inet(&address, host, port);
    return bound_socket(AF_INET, SOCK_STREAM, (struct sockaddr *)&address, sizeof address, -1);
}

int flexshim_peer_pid(int socket) {
    struct ucred credentials;
    socklen_t length = sizeof credentials;
    if (getsockopt(socket, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return -1;
    return credentials.pid;
}

int flexshim_accept_cloexec(int listener) { return accept4(listener, NULL, NULL, SOCK_CLOEXEC); }

int flexshim_replace_descriptor(int fresh, int target) { return dup3(fresh, target, O_CLOEXEC) < 0 ? -1 : 0; }

int flexshim_wake_set_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int flexshim_wake_set_add(int set, int fd) {
    struct epoll_event event = { .events = EPOLLIN, .data = { .fd = fd } };
    return epoll_ctl(set, EPOLL_CTL_ADD, fd, &event);
}

int flexshim_wake_set_remove(int set, int fd) { return epoll_ctl(set, EPOLL_CTL_DEL, fd, NULL); }

int flexshim_wake_set_harvest(int set) {
    struct epoll_event events[64];
    int total = 0;
    for (;;) {
        int ready = epoll_wait(set, events, 64, 0);
        if (ready <= 0) return ready < 0 && total == 0 ? -1 : total;
        uint64_t counter;
        for (int index = 0; index < ready; index++) {
            if (read(events[index].data.fd, &counter, sizeof counter) < 0) { /* already reset: nothing to do */ }
        }
        total += ready;
        if (ready < 64) return total;
    }
}
