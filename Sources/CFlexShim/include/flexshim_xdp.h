#ifndef FLEXSHIM_XDP_H
#define FLEXSHIM_XDP_H
#if defined(__linux__)
// AF_XDP sockets for FlexPort's AFXDPPort, by raw system calls (no libbpf/libxdp): the socket with
// its UMEM and four rings (xdp_socket.c), and the XDP program that redirects an interface's frames
// to it (xdp_program.c). Swift cannot import the ring layout macros or call bpf(2).
#include <stdint.h>
#include <stddef.h>
#include <linux/if_xdp.h>

#pragma clang assume_nonnull begin

/// One mapped AF_XDP ring: producer and consumer indexes shared with the kernel, the ring's flags
/// word (XDP_RING_NEED_WAKEUP) and `size` descriptors (a power of two; index & `mask` is the slot).
/// Fill and completion rings hold UMEM addresses (uint64_t); receive and transmit rings hold
/// struct xdp_desc.
struct flexshim_xdp_ring {
    uint32_t *producer;
    uint32_t *consumer;
    uint32_t *flags;
    void *descriptors;
    uint32_t size;
    uint32_t mask;
    void *_Nullable mapping;
    size_t mapping_length;
};

/// An AF_XDP socket bound to one queue of one interface, with its UMEM registered and its rings
/// mapped; `transmit_budget` is how many frames the kernel sends per sendto in copy mode (the
/// transmit ring's size where the kernel takes XDP_MAX_TX_SKB_BUDGET, since Linux 6.17; else 32).
struct flexshim_xdp_socket {
    int fd;
    uint32_t transmit_budget;
    struct flexshim_xdp_ring fill;
    struct flexshim_xdp_ring completion;
    struct flexshim_xdp_ring receive;
    struct flexshim_xdp_ring transmit;
};

/// What `flexshim_xdp_socket_open` needs: the UMEM (`umem_length` bytes at `umem`, page aligned,
/// cut into `chunk_size` chunks), ring sizes (powers of two) and the bind flags (XDP_COPY,
/// XDP_USE_NEED_WAKEUP, ...).
struct flexshim_xdp_socket_setup {
    int interface_index;
    uint32_t queue;
    void *umem;
    uint64_t umem_length;
    uint32_t chunk_size;
    uint32_t fill_size;
    uint32_t completion_size;
    uint32_t receive_size;
    uint32_t transmit_size;
    uint16_t bind_flags;
};

/// Opens, sets up and binds an AF_XDP socket as `setup` says. Returns 0, or -errno with
/// `*failed_step` naming the step that failed (nothing is left open then).
int flexshim_xdp_socket_open(struct flexshim_xdp_socket *xsk, const struct flexshim_xdp_socket_setup *setup,
                             const char *_Nullable *_Nullable failed_step);

/// Unmaps the rings and closes the socket (the UMEM belongs to the caller).
void flexshim_xdp_socket_close(struct flexshim_xdp_socket *xsk);

/// The socket's counters (XDP_STATISTICS): frames dropped for want of a receive-ring slot or a
/// fill-ring address, and invalid receive or transmit descriptors. 0 or -errno.
int flexshim_xdp_socket_statistics(int fd, struct xdp_statistics *statistics);

/// The XDP program that redirects every frame an interface receives on a queue to the AF_XDP
/// socket in its XSKMAP (frames for queues without a socket go on to the kernel's stack), and the
/// link that attaches it. Closing `link_fd` detaches it.
struct flexshim_xdp_redirect {
    int map_fd;
    int program_fd;
    int link_fd;
};

/// Builds the redirect program with an XSKMAP of `queue_count` entries holding `socket_fd` at
/// `queue`, and attaches it to interface `interface_index` with `xdp_flags` (XDP_FLAGS_SKB_MODE:
/// generic XDP; XDP_FLAGS_DRV_MODE: the driver's). Returns 0, or -errno with `*failed_step` set
/// (nothing is left attached or open then).
int flexshim_xdp_redirect_attach(struct flexshim_xdp_redirect *redirect, int interface_index, uint32_t queue,
                                 uint32_t queue_count, int socket_fd, uint32_t xdp_flags,
                                 const char *_Nullable *_Nullable failed_step);

/// Detaches the program and closes its descriptors.
void flexshim_xdp_redirect_detach(struct flexshim_xdp_redirect *redirect);

/// Reads a ring index the kernel writes (acquire: the descriptors it published before are visible).
static inline uint32_t flexshim_xdp_load_index(const uint32_t *index) {
    return __atomic_load_n(index, __ATOMIC_ACQUIRE);
}

/// Publishes a ring index (release: the descriptors written before are visible to the kernel).
static inline void flexshim_xdp_store_index(uint32_t *index, uint32_t value) {
    __atomic_store_n(index, value, __ATOMIC_RELEASE);
}

/// Whether the kernel asked to be woken (sendto for transmit, recvfrom/poll for fill) on this ring.
static inline int flexshim_xdp_needs_wakeup(const struct flexshim_xdp_ring *ring) {
    return (__atomic_load_n(ring->flags, __ATOMIC_RELAXED) & XDP_RING_NEED_WAKEUP) != 0;
}

/// The address in slot `index` of a fill or completion ring.
static inline uint64_t *flexshim_xdp_address_slot(const struct flexshim_xdp_ring *ring, uint32_t index) {
    return (uint64_t *)ring->descriptors + (index & ring->mask);
}

/// The descriptor in slot `index` of a receive or transmit ring.
static inline struct xdp_desc *flexshim_xdp_descriptor_slot(const struct flexshim_xdp_ring *ring, uint32_t index) {
    return (struct xdp_desc *)ring->descriptors + (index & ring->mask);
}

enum {
    FLEXSHIM_XDP_COPY = XDP_COPY,
    FLEXSHIM_XDP_USE_NEED_WAKEUP = XDP_USE_NEED_WAKEUP,
    FLEXSHIM_XDP_FLAGS_SKB_MODE = 1U << 1,  // XDP_FLAGS_SKB_MODE (linux/if_link.h)
    FLEXSHIM_XDP_FLAGS_DRV_MODE = 1U << 2,  // XDP_FLAGS_DRV_MODE
};

#pragma clang assume_nonnull end
#endif  // __linux__
#endif
