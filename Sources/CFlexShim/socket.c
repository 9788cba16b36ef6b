#define _GNU_SOURCE
#include "flexshim_socket.h"
#include <stddef.h>
#include <sys/socket.h>

int flexshim_accept_nonblocking(int listener) {
    return accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}
