#ifndef FLEXSHIM_ZEROCOPY_H
#define FLEXSHIM_ZEROCOPY_H
// MSG_ZEROCOPY sends (Linux 4.14+): the socket option, the send flag, and the completion
// notifications the kernel queues on the socket's error queue (struct sock_extended_err in a
// control message, which Swift cannot take apart: CMSG macros).
#include <stdint.h>

/// The send(2) flag asking for a zero-copy send.
extern const int flexshim_msg_zerocopy;

/// Sets SO_ZEROCOPY on a socket. Returns 0, or -1 with errno set (the kernel or socket cannot).
int flexshim_zerocopy_enable(int fd);

/// Reads one notification from `fd`'s error queue without blocking. A zero-copy completion covers
/// the sends numbered `*first` ... `*last` (the kernel numbers a socket's successful zero-copy sends
/// 0, 1, 2 … modulo 2^32); `*copied` is 1 when the kernel copied their data after all
/// (SO_EE_CODE_ZEROCOPY_COPIED, e.g. on loopback), else 0. Returns 1 for a completion, 2 for another
/// kind of message (skipped), 0 when the queue is empty, or -errno.
int flexshim_zerocopy_next_completion(int fd, uint32_t *first, uint32_t *last, int *copied);

#endif
