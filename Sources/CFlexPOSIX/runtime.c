// The library's own state in C: libc's real functions, the descriptor table, the lock, fork
// handling and eventfds. Everything here avoids the interposed symbols (direct system calls or
// the functions dlsym(RTLD_NEXT) finds).
#define _GNU_SOURCE
#include "flexposix.h"
#include "entry.h"
#include "real.h"
#include <dlfcn.h>
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void *flexposix_real_symbol(void **slot, const char *name) {
    void *function = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (function == NULL) {
        function = dlsym(RTLD_NEXT, name);
        __atomic_store_n(slot, function, __ATOMIC_RELEASE);
    }
    return function;
}

static unsigned char kinds[FLEXPOSIX_TABLE_SIZE];

int flexposix_kind(int fd) {
    if (fd < 0 || fd >= FLEXPOSIX_TABLE_SIZE) return FLEXPOSIX_KERNEL;
    return __atomic_load_n(&kinds[fd], __ATOMIC_ACQUIRE);
}

void flexposix_set_kind(int fd, int kind) {
    if (fd < 0 || fd >= FLEXPOSIX_TABLE_SIZE) return;
    __atomic_store_n(&kinds[fd], (unsigned char)kind, __ATOMIC_RELEASE);
}

static pthread_mutex_t library_lock = PTHREAD_MUTEX_INITIALIZER;
void flexposix_lock(void) { pthread_mutex_lock(&library_lock); }
void flexposix_unlock(void) { pthread_mutex_unlock(&library_lock); }

static unsigned fork_generation;
static int service_socket = -1;
static __thread int thread_wake = -1;

unsigned flexposix_fork_generation(void) { return __atomic_load_n(&fork_generation, __ATOMIC_ACQUIRE); }
void flexposix_set_service_socket(int fd) { service_socket = fd; }

/// In a forked child: the parent's FlexTCP sockets become unusable (only close works), the attach
/// socket copy is closed (the service sees the parent alone), the lock and this thread's wake-up
/// eventfd (shared with the parent) are made new, epoll descriptors with FlexTCP interests become
/// the child's own kernel epolls, and the Swift half starts over (generation).
static void after_fork_in_child(void) {
    pthread_mutex_init(&library_lock, NULL);
    for (int fd = 0; fd < FLEXPOSIX_TABLE_SIZE; fd++) {
        if (kinds[fd] == FLEXPOSIX_SOCKET) kinds[fd] = FLEXPOSIX_INHERITED;
        else if (kinds[fd] == FLEXPOSIX_EPOLL) {
            flexposix_own_epoll_in_child(fd);
            kinds[fd] = FLEXPOSIX_KERNEL;
        }
    }
    if (service_socket >= 0) syscall(SYS_close, service_socket);
    service_socket = -1;
    if (thread_wake >= 0) syscall(SYS_close, thread_wake);
    thread_wake = -1;
    __atomic_add_fetch(&fork_generation, 1, __ATOMIC_RELEASE);
}

static pthread_key_t wake_key;
static void close_thread_wake(void *value) {
    (void)value;
    if (thread_wake >= 0) syscall(SYS_close, thread_wake);
    thread_wake = -1;
}

/// At exit: the connections still open send what they hold before the process (and with it its
/// attachment, whose hang-up resets them) is gone.
__attribute__((destructor)) static void flexposix_finish(void) { flexposix_swift_exit(); }

__attribute__((constructor)) static void flexposix_setup(void) {
    pthread_atfork(NULL, NULL, after_fork_in_child);
    pthread_key_create(&wake_key, close_thread_wake);
}

int flexposix_eventfd(int cloexec) {
    return (int)syscall(SYS_eventfd2, 0, EFD_NONBLOCK | (cloexec ? EFD_CLOEXEC : 0));
}

void flexposix_eventfd_signal(int fd) {
    uint64_t one = 1;
    int saved = errno;
    (void)syscall(SYS_write, fd, &one, sizeof one);
    errno = saved;
}

void flexposix_eventfd_drain(int fd) {
    uint64_t value;
    int saved = errno;
    (void)syscall(SYS_read, fd, &value, sizeof value);
    errno = saved;
}

int flexposix_thread_wake(void) {
    if (thread_wake < 0) {
        thread_wake = flexposix_eventfd(1);
        pthread_setspecific(wake_key, (void *)1);
    }
    return thread_wake;
}

int flexposix_thread_wake_if_made(void) { return thread_wake; }

int flexposix_real_close(int fd) { return REAL(close)(fd); }
int flexposix_real_socket(int domain, int type, int protocol) { return REAL(socket)(domain, type, protocol); }
int flexposix_real_setsockopt(int fd, int level, int name, const void *value, socklen_t length) {
    return REAL(setsockopt)(fd, level, name, value, length);
}
int flexposix_real_fcntl(int fd, int command, int argument) { return REAL(fcntl)(fd, command, argument); }
int flexposix_real_bind_inet(int fd, uint32_t address, uint16_t port) {
    struct sockaddr_in inet = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = {.s_addr = htonl(address)}};
    return REAL(bind)(fd, (const struct sockaddr *)&inet, sizeof inet);
}

int flexposix_real_ppoll(struct pollfd *fds, nfds_t count, int64_t timeout_ns, const sigset_t *mask) {
    struct timespec timeout = {timeout_ns / 1000000000, timeout_ns % 1000000000};
    return REAL(ppoll)(fds, count, timeout_ns < 0 ? NULL : &timeout, mask);
}

int flexposix_real_epoll_wait(int epfd, void *events, int max, int timeout_ms, const sigset_t *mask) {
    return REAL(epoll_pwait)(epfd, (struct epoll_event *)events, max, timeout_ms, mask);
}

int flexposix_real_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event event = {.events = events, .data.u64 = data};
    return REAL(epoll_ctl)(epfd, op, fd, &event);
}

ssize_t flexposix_real_read(int fd, void *buffer, size_t count) { return REAL(read)(fd, buffer, count); }
ssize_t flexposix_real_pread(int fd, void *buffer, size_t count, off_t offset) { return REAL(pread)(fd, buffer, count, offset); }
int flexposix_real_dup2(int from, int to) { return REAL(dup2)(from, to); }

void flexposix_epoll_event_set(void *events, int index, uint32_t mask, uint64_t data) {
    struct epoll_event *event = (struct epoll_event *)events + index;
    event->events = mask;
    event->data.u64 = data;
}

void flexposix_epoll_event_get(const void *event, uint32_t *mask, uint64_t *data) {
    const struct epoll_event *entry = event;
    *mask = entry->events;
    *data = entry->data.u64;
}

int flexposix_interrupt_restarts(void) {
    sigset_t blocked;
    pthread_sigmask(SIG_BLOCK, NULL, &blocked);
    for (int number = 1; number < NSIG; number++) {
        struct sigaction action;
        if (sigismember(&blocked, number) == 1 || sigaction(number, NULL, &action) != 0) continue;
        if (action.sa_handler == SIG_DFL || action.sa_handler == SIG_IGN) continue;
        if (!(action.sa_flags & SA_RESTART)) return 0;
    }
    return 1;
}

void flexposix_raise_sigpipe(void) { pthread_kill(pthread_self(), SIGPIPE); }

void flexposix_report(const char *text) {
    int saved = errno;
    (void)syscall(SYS_write, 2, text, strlen(text));
    (void)syscall(SYS_write, 2, "\n", 1);
    errno = saved;
}
