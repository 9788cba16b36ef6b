#if defined(__linux__)
#include "flexshim_packet.h"
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <net/if.h>

static int copy_name(struct ifreq *request, const char *name) {
    memset(request, 0, sizeof(*request));
    size_t length = strlen(name);
    if (length == 0) return -EINVAL;
    if (length >= IFNAMSIZ) return -ENAMETOOLONG;
    memcpy(request->ifr_name, name, length);
    return 0;
}

int flexshim_interface_index(int fd, const char *name) {
    struct ifreq request;
    int status = copy_name(&request, name);
    if (status != 0) return status;
    if (ioctl(fd, SIOCGIFINDEX, &request) != 0) return -errno;
    return request.ifr_ifindex;
}

int flexshim_interface_mtu(int fd, const char *name) {
    struct ifreq request;
    int status = copy_name(&request, name);
    if (status != 0) return status;
    if (ioctl(fd, SIOCGIFMTU, &request) != 0) return -errno;
    return request.ifr_mtu;
}

int flexshim_interface_hardware_address(int fd, const char *name, uint8_t address[6]) {
    struct ifreq request;
    int status = copy_name(&request, name);
    if (status != 0) return status;
    if (ioctl(fd, SIOCGIFHWADDR, &request) != 0) return -errno;
    memcpy(address, request.ifr_hwaddr.sa_data, 6);
    return 0;
}
#endif
