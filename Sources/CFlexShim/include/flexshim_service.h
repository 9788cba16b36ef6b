#ifndef FLEXSHIM_SERVICE_H
#define FLEXSHIM_SERVICE_H
// What flextcpd and its applications need from the kernel that Swift's Glibc overlay does not
// export in a usable form: memfd_create, fixed shared mappings, and descriptor passing over a UNIX
// socket (SCM_RIGHTS control messages).
#include <stddef.h>
#include <stdint.h>

/// A new close-on-exec memfd named `name`, sized `length` bytes (zero-filled) and sealed at that size
/// (no holder can shrink or grow it), or -1 with errno set.
int flexshim_memfd_create(const char *name, size_t length);

/// Reserves `length` bytes of address space (PROT_NONE, no memory behind it), or NULL with errno set.
void *flexshim_reserve_address_space(size_t length);

/// Maps `length` bytes of `fd` read-write and shared at exactly `address` (MAP_FIXED, replacing
/// what was there) or, when `address` is NULL, where the kernel chooses. Returns the address, or
/// NULL with errno set.
void *flexshim_map_shared(void *address, int fd, size_t length);

/// Puts `length` bytes at `address` back to PROT_NONE reserved space (MAP_FIXED anonymous), so
/// the pages of what was mapped there are released. Returns 0, or -1 with errno set.
int flexshim_unmap_to_reservation(void *address, size_t length);

/// Unmaps `length` bytes at `address`. Returns 0, or -1 with errno set.
int flexshim_unmap(void *address, size_t length);

/// Sends `length` bytes of `bytes` on the connected socket `socket` with `count` descriptors
/// (at most 64) in one SCM_RIGHTS message. Returns the bytes sent, or -1 with errno set.
long flexshim_send_with_descriptors(int socket, const void *bytes, size_t length, const int *fds, int count);

/// Receives one message of at most `capacity` bytes into `bytes` and up to `capacity_fds`
/// descriptors (made close-on-exec) into `fds`, storing how many arrived in `*count_fds`. Returns
/// the bytes received (0: the peer hung up), or -1 with errno set. Descriptors beyond
/// `capacity_fds` are closed.
long flexshim_receive_with_descriptors(int socket, void *bytes, size_t capacity, int *fds, int capacity_fds, int *count_fds);

/// A new close-on-exec SOCK_SEQPACKET UNIX socket listening at `path`, or -1 with errno set: a stale
/// socket file there (nobody accepts on it) is replaced; EADDRINUSE when a listener still answers
/// there, EEXIST when a file that is not a socket is in the way (it is left alone).
int flexshim_unix_listen(const char *path, int backlog);

/// A new close-on-exec SOCK_SEQPACKET UNIX socket connected to `path`, or -1 with errno set.
int flexshim_unix_connect(const char *path);

/// As flexshim_unix_listen and flexshim_unix_connect, with a SOCK_STREAM socket (flextcpd's metrics endpoint).
int flexshim_unix_stream_listen(const char *path, int backlog);
int flexshim_unix_stream_connect(const char *path);

/// A new close-on-exec TCP socket listening on `host`:`port` (both in host byte order; SO_REUSEADDR),
/// or -1 with errno set.
int flexshim_tcp_listen(uint32_t host, uint16_t port, int backlog);

/// A new close-on-exec TCP socket connected to `host`:`port` (host byte order), or -1 with errno set.
int flexshim_tcp_connect(uint32_t host, uint16_t port);

/// accept4(listener, NULL, NULL, SOCK_CLOEXEC): a connection, or -1 with errno set.
int flexshim_accept_cloexec(int listener);

/// Puts the open file of `fresh` under descriptor number `target` (dup3, close-on-exec), closing
/// what `target` named. Returns 0, or -1 with errno set.
int flexshim_replace_descriptor(int fresh, int target);

/// A wake set: an epoll instance (close-on-exec) that polls readable when one of its eventfds is
/// signalled. Returns it, or -1 with errno set.
int flexshim_wake_set_create(void);

/// Adds (for reading) or removes eventfd `fd` to or from `set`. Returns 0, or -1 with errno set.
int flexshim_wake_set_add(int set, int fd);
int flexshim_wake_set_remove(int set, int fd);

/// Resets (reads) every eventfd of `set` that is signalled; returns how many were, or -1 with errno set.
int flexshim_wake_set_harvest(int set);

/// The process id of the peer of the connected UNIX socket `socket` (SO_PEERCRED), or -1.
int flexshim_peer_pid(int socket);

#endif
