#ifndef FLEXSHIM_SHA256_H
#define FLEXSHIM_SHA256_H
// SHA-256's compression function (FIPS 180-4 §6.2.2): the part of hashing that takes the time.
//
// `flexshim_sha256_compress` folds `count` consecutive 64-byte message blocks at `blocks` into the
// eight-word hash `state` (H0…H7, host order); padding and the message length are the caller's.
// `blocks` may be NULL only when `count` is 0. Thread-safe; no alignment needed.
#include <stdint.h>
#include <stddef.h>

void flexshim_sha256_compress(uint32_t state[8], const void *blocks, size_t count);

#endif
