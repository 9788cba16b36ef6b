#define _GNU_SOURCE
#include "flexshim_zerocopy.h"
#include <errno.h>
#include <time.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY 0x4000000
#endif

const int flexshim_msg_zerocopy = MSG_ZEROCOPY;

int flexshim_zerocopy_enable(int fd) {
    int on = 1;
    return setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &on, sizeof on);
}

int flexshim_zerocopy_next_completion(int fd, uint32_t *first, uint32_t *last, int *copied) {
    char control[128];
    struct msghdr message;
    memset(&message, 0, sizeof message);
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    if (recvmsg(fd, &message, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
    }
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header != NULL; header = CMSG_NXTHDR(&message, header)) {
        int ipv4 = header->cmsg_level == SOL_IP && header->cmsg_type == IP_RECVERR;
        int ipv6 = header->cmsg_level == SOL_IPV6 && header->cmsg_type == IPV6_RECVERR;
        if (!ipv4 && !ipv6) continue;
        struct sock_extended_err error;
        memcpy(&error, CMSG_DATA(header), sizeof error);
        if (error.ee_errno != 0 || error.ee_origin != SO_EE_ORIGIN_ZEROCOPY) continue;
        *first = error.ee_info;
        *last = error.ee_data;
        *copied = (error.ee_code & SO_EE_CODE_ZEROCOPY_COPIED) != 0;
        return 1;
    }
    return 2;
}
