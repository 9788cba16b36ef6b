#ifndef FLEXSHIM_TUN_H
#define FLEXSHIM_TUN_H
#if defined(__linux__)
// /dev/net/tun in TAP mode for FlexPort's TAPPort: the TUNSETIFF ioctl.

enum { FLEXSHIM_INTERFACE_NAME_CAPACITY = 16 };  // IFNAMSIZ, terminating NUL included

/// Attaches the open /dev/net/tun descriptor `fd` to a TAP device without packet information
/// (IFF_TAP | IFF_NO_PI). `requested_name` may be empty (the kernel picks "tap%d") or a name or
/// pattern of at most 15 bytes. Writes the device's actual name, NUL-terminated, into `actual_name`
/// (FLEXSHIM_INTERFACE_NAME_CAPACITY bytes). Returns 0 or -errno.
int flexshim_tun_attach_tap(int fd, const char *requested_name, char *actual_name);

#endif  // __linux__
#endif
