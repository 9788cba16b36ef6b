#ifndef FLEXPOSIX_REAL_H
#define FLEXPOSIX_REAL_H
// libc's function `name` past this library (dlsym(RTLD_NEXT)), looked up once.
void *flexposix_real_symbol(void **slot, const char *name);
#define REAL(name) \
    ({ static void *real_slot_##name; (__typeof__(&name))flexposix_real_symbol(&real_slot_##name, #name); })
#include <errno.h>
/// A Swift half's result (a count, or a negated errno value) as libc returns it: -1 with errno
/// set, or the count with errno as it was before the call (a success never changes errno).
#define flexposix_settle(call)                                   \
    ({                                                           \
        int settle_saved_errno = errno;                          \
        long settle_result = (call);                             \
        if (settle_result < 0) {                                 \
            errno = (int)-settle_result;                         \
            settle_result = -1;                                  \
        } else {                                                 \
            errno = settle_saved_errno;                          \
        }                                                        \
        settle_result;                                           \
    })
#endif
