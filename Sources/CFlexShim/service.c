#define _GNU_SOURCE
#include "flexshim_service.h"
#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

int flexshim_unix_listen(const char *path, int backlog) {
    struct sockaddr_un address;
    if (fill_address(&address, path) != 0) return -1;
    // Only a stale socket is replaced: another file is left alone (EEXIST), and a socket a running
    // service still accepts on is not taken over (EADDRINUSE).
    struct stat existing;
    if (lstat(path, &existing) == 0) {
        if (!S_ISSOCK(existing.st_mode)) { errno = EEXIST; return -1; }
        int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (probe < 0) return -1;
        int answered = connect(probe, (struct sockaddr *)&address, sizeof address) == 0;
        int refused = !answered && errno == ECONNREFUSED;
        close(probe);
        if (answered) { errno = EADDRINUSE; return -1; }
        if (refused) unlink(path);
    }
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(fd, backlog) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int flexshim_unix_connect(const char *path) {
    struct sockaddr_un address;
    if (fill_address(&address, path) != 0) return -1;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int flexshim_peer_pid(int socket) {
    struct ucred credentials;
    socklen_t length = sizeof credentials;
    if (getsockopt(socket, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return -1;
    return credentials.pid;
}
