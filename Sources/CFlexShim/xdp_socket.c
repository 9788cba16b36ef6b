#if defined(__linux__)
#define _GNU_SOURCE
#include "flexshim_xdp.h"
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif
// Newer than these userspace headers (Linux 6.17); the value is kernel ABI.
#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9
#endif
// Frames one sendto sends in copy mode unless the socket says otherwise.
enum { DEFAULT_TRANSMIT_BUDGET = 32 };

// Records the failing step and returns -errno.
static int failure(const char **failed_step, const char *step) {
    int code = errno;
    if (failed_step) *failed_step = step;
    return -code;
}

static int set_ring_size(int fd, int option, uint32_t size) {
    return setsockopt(fd, SOL_XDP, option, &size, sizeof size);
}

// Maps one ring: `offsets` from XDP_MMAP_OFFSETS, `entry_size` bytes per descriptor.
static int map_ring(int fd, struct flexshim_xdp_ring *ring, const struct xdp_ring_offset *offsets, uint32_t size,
                    size_t entry_size, off_t page_offset) {
    size_t length = offsets->desc + size * entry_size;
    void *mapping = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, page_offset);
    if (mapping == MAP_FAILED) return -1;
    ring->producer = (uint32_t *)((char *)mapping + offsets->producer);
    ring->consumer = (uint32_t *)((char *)mapping + offsets->consumer);
    ring->flags = (uint32_t *)((char *)mapping + offsets->flags);
    ring->descriptors = (char *)mapping + offsets->desc;
    ring->size = size;
    ring->mask = size - 1;
    ring->mapping = mapping;
    ring->mapping_length = length;
    return 0;
}

static void unmap_ring(struct flexshim_xdp_ring *ring) {
    if (ring->mapping) munmap(ring->mapping, ring->mapping_length);
    ring->mapping = NULL;
}

static int configure(struct flexshim_xdp_socket *xsk, const struct flexshim_xdp_socket_setup *setup, const char **failed_step) {
    int fd = xsk->fd;
    struct xdp_umem_reg umem = {
        .addr = (uint64_t)(uintptr_t)setup->umem,
        .len = setup->umem_length,
        .chunk_size = setup->chunk_size,
        .headroom = 0,
    };
    if (setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &umem, sizeof umem) != 0) return failure(failed_step, "setsockopt(XDP_UMEM_REG)");
    if (set_ring_size(fd, XDP_UMEM_FILL_RING, setup->fill_size) != 0) return failure(failed_step, "setsockopt(XDP_UMEM_FILL_RING)");
    if (set_ring_size(fd, XDP_UMEM_COMPLETION_RING, setup->completion_size) != 0) {
        return failure(failed_step, "setsockopt(XDP_UMEM_COMPLETION_RING)");
    }
    if (set_ring_size(fd, XDP_RX_RING, setup->receive_size) != 0) return failure(failed_step, "setsockopt(XDP_RX_RING)");
    if (set_ring_size(fd, XDP_TX_RING, setup->transmit_size) != 0) return failure(failed_step, "setsockopt(XDP_TX_RING)");
    // One sendto may send the whole transmit ring where the kernel allows it; older kernels keep 32.
    uint32_t budget = setup->transmit_size;
    xsk->transmit_budget = budget >= DEFAULT_TRANSMIT_BUDGET
        && setsockopt(fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &budget, sizeof budget) == 0 ? budget : DEFAULT_TRANSMIT_BUDGET;

    struct xdp_mmap_offsets offsets;
    socklen_t length = sizeof offsets;
    if (getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, &offsets, &length) != 0) return failure(failed_step, "getsockopt(XDP_MMAP_OFFSETS)");
    if (map_ring(fd, &xsk->fill, &offsets.fr, setup->fill_size, sizeof(uint64_t), (off_t)XDP_UMEM_PGOFF_FILL_RING) != 0) {
        return failure(failed_step, "mmap(fill ring)");
    }
    if (map_ring(fd, &xsk->completion, &offsets.cr, setup->completion_size, sizeof(uint64_t),
                 (off_t)XDP_UMEM_PGOFF_COMPLETION_RING) != 0) {
        return failure(failed_step, "mmap(completion ring)");
    }
    if (map_ring(fd, &xsk->receive, &offsets.rx, setup->receive_size, sizeof(struct xdp_desc), XDP_PGOFF_RX_RING) != 0) {
        return failure(failed_step, "mmap(receive ring)");
    }
    if (map_ring(fd, &xsk->transmit, &offsets.tx, setup->transmit_size, sizeof(struct xdp_desc), XDP_PGOFF_TX_RING) != 0) {
        return failure(failed_step, "mmap(transmit ring)");
    }

    struct sockaddr_xdp address = {
        .sxdp_family = AF_XDP,
        .sxdp_flags = setup->bind_flags,
        .sxdp_ifindex = (uint32_t)setup->interface_index,
        .sxdp_queue_id = setup->queue,
    };
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) return failure(failed_step, "bind(AF_XDP)");
    return 0;
}

int flexshim_xdp_socket_open(struct flexshim_xdp_socket *xsk, const struct flexshim_xdp_socket_setup *setup,
                             const char **failed_step) {
    memset(xsk, 0, sizeof *xsk);
    xsk->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (xsk->fd < 0) return failure(failed_step, "socket(AF_XDP)");
    int status = configure(xsk, setup, failed_step);
    if (status != 0) flexshim_xdp_socket_close(xsk);
    return status;
}

void flexshim_xdp_socket_close(struct flexshim_xdp_socket *xsk) {
    unmap_ring(&xsk->fill);
    unmap_ring(&xsk->completion);
    unmap_ring(&xsk->receive);
    unmap_ring(&xsk->transmit);
    if (xsk->fd >= 0) close(xsk->fd);
    xsk->fd = -1;
}

int flexshim_xdp_socket_statistics(int fd, struct xdp_statistics *statistics) {
    socklen_t length = sizeof *statistics;
    memset(statistics, 0, sizeof *statistics);
    if (getsockopt(fd, SOL_XDP, XDP_STATISTICS, statistics, &length) != 0) return -errno;
    return 0;
}
#endif
