#ifndef FLEXSHIM_CRC32C_H
#define FLEXSHIM_CRC32C_H
// CRC32C (Castagnoli, reflected polynomial 0x82F63B78) register updates.
//
// Every update function takes the running CRC register and returns it after `length` bytes at
// `data`; it applies no conditioning. A checksum starts from 0xFFFFFFFF and is the complement of the
// final register. `data` may be NULL only when `length` is 0. All functions are thread-safe.
#include <stdint.h>
#include <stddef.h>

/// Nonzero when this CPU has the SSE4.2 crc32 and PCLMULQDQ instructions the hardware path uses.
int flexshim_crc32c_hardware_available(void);

/// Updates with the fastest implementation this CPU supports.
uint32_t flexshim_crc32c_update(uint32_t crc, const void *data, size_t length);

/// Updates with the portable slicing-by-8 table implementation.
uint32_t flexshim_crc32c_update_software(uint32_t crc, const void *data, size_t length);

#endif
