#ifndef FLEXSHIM_PACKET_H
#define FLEXSHIM_PACKET_H
#if defined(__linux__)
// AF_PACKET TPACKET_V2 rings, virtio-net headers and interface ioctls for FlexPort's AFPacketPort
// (and the interface queries TAPPort shares). Swift cannot import these macros or call ioctl(2).
#include <stddef.h>
#include <stdint.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>

// Newer than some userspace headers; the values are kernel ABI.
#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif
#ifndef TP_STATUS_GSO_TCP
#define TP_STATUS_GSO_TCP (1 << 8)
#endif

enum {
    FLEXSHIM_SOL_PACKET = 263,  // SOL_PACKET (sys/socket.h, not always visible to Swift)
    FLEXSHIM_ETH_P_ALL = ETH_P_ALL,
    FLEXSHIM_PACKET_OUTGOING = PACKET_OUTGOING,
    FLEXSHIM_PACKET_IGNORE_OUTGOING = PACKET_IGNORE_OUTGOING,
    FLEXSHIM_PACKET_VNET_HDR = PACKET_VNET_HDR,
    FLEXSHIM_PACKET_QDISC_BYPASS = PACKET_QDISC_BYPASS,
    FLEXSHIM_PACKET_LOSS = PACKET_LOSS,
    FLEXSHIM_PACKET_VERSION = PACKET_VERSION,
    FLEXSHIM_PACKET_RX_RING = PACKET_RX_RING,
    FLEXSHIM_PACKET_TX_RING = PACKET_TX_RING,
    FLEXSHIM_PACKET_STATISTICS = PACKET_STATISTICS,
    FLEXSHIM_TPACKET_V2 = TPACKET_V2,
    FLEXSHIM_TPACKET_ALIGNMENT = TPACKET_ALIGNMENT,
    /// Where the kernel's struct sockaddr_ll sits in a V2 ring frame.
    /// Where the kernel's sll_pkttype (PACKET_HOST, PACKET_OUTGOING, ...) sits in a V2 ring frame.
    FLEXSHIM_TPACKET2_PACKET_TYPE_OFFSET = TPACKET_ALIGN(sizeof(struct tpacket2_hdr)) + offsetof(struct sockaddr_ll, sll_pkttype),
    /// Where transmit data starts in a V2 ring frame (no PACKET_TX_HAS_OFF): the kernel's
    /// TPACKET2_HDRLEN - sizeof(struct sockaddr_ll).
    FLEXSHIM_TPACKET2_TRANSMIT_DATA_OFFSET = TPACKET_ALIGN(sizeof(struct tpacket2_hdr)),
    FLEXSHIM_TP_STATUS_KERNEL = TP_STATUS_KERNEL,
    FLEXSHIM_TP_STATUS_USER = TP_STATUS_USER,
    FLEXSHIM_TP_STATUS_LOSING = TP_STATUS_LOSING,
    FLEXSHIM_TP_STATUS_CSUMNOTREADY = TP_STATUS_CSUMNOTREADY,
    FLEXSHIM_TP_STATUS_VLAN_VALID = TP_STATUS_VLAN_VALID,
    FLEXSHIM_TP_STATUS_CSUM_VALID = TP_STATUS_CSUM_VALID,
    FLEXSHIM_TP_STATUS_GSO_TCP = TP_STATUS_GSO_TCP,
    FLEXSHIM_TP_STATUS_AVAILABLE = TP_STATUS_AVAILABLE,
    FLEXSHIM_TP_STATUS_SEND_REQUEST = TP_STATUS_SEND_REQUEST,
    FLEXSHIM_VIRTIO_NET_HDR_LENGTH = sizeof(struct virtio_net_hdr),
    FLEXSHIM_VIRTIO_NET_HDR_F_NEEDS_CSUM = VIRTIO_NET_HDR_F_NEEDS_CSUM,
    FLEXSHIM_VIRTIO_NET_HDR_F_DATA_VALID = VIRTIO_NET_HDR_F_DATA_VALID,
    FLEXSHIM_VIRTIO_NET_HDR_GSO_NONE = VIRTIO_NET_HDR_GSO_NONE,
    FLEXSHIM_VIRTIO_NET_HDR_GSO_ECN = VIRTIO_NET_HDR_GSO_ECN,
};

/// Ring frame status word (offset 0 of every V2 frame): an acquire load, so the frame's contents
/// written by the kernel before it set the status are visible.
static inline uint32_t flexshim_tpacket2_status(const void *frame) {
    return __atomic_load_n(&((const struct tpacket2_hdr *)frame)->tp_status, __ATOMIC_ACQUIRE);
}

/// Hands a ring frame to the other side: a release store, so everything written before is visible.
static inline void flexshim_tpacket2_set_status(void *frame, uint32_t status) {
    __atomic_store_n(&((struct tpacket2_hdr *)frame)->tp_status, status, __ATOMIC_RELEASE);
}

/// Interface index of `name` (SIOCGIFINDEX) in the namespace of socket `fd`; -errno on failure.
int flexshim_interface_index(int fd, const char *name);
/// Maximum transmission unit of `name` (SIOCGIFMTU); -errno on failure.
int flexshim_interface_mtu(int fd, const char *name);
/// Copies the 6-byte hardware address of `name` (SIOCGIFHWADDR) to `address`; 0 or -errno.
int flexshim_interface_hardware_address(int fd, const char *name, uint8_t address[6]);

#endif  // __linux__
#endif
