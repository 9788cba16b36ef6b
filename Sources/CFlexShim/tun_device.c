#if defined(__linux__)
#include "flexshim_tun.h"
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_tun.h>

_Static_assert(FLEXSHIM_INTERFACE_NAME_CAPACITY == IFNAMSIZ, "IFNAMSIZ changed");

int flexshim_tun_attach_tap(int fd, const char *requested_name, char *actual_name) {
    struct ifreq request;
    memset(&request, 0, sizeof(request));
    size_t length = strlen(requested_name);
    if (length >= IFNAMSIZ) return -ENAMETOOLONG;
    memcpy(request.ifr_name, requested_name, length);
    request.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (ioctl(fd, TUNSETIFF, &request) != 0) return -errno;
    memcpy(actual_name, request.ifr_name, IFNAMSIZ);
    actual_name[IFNAMSIZ - 1] = 0;
    return 0;
}
#endif
