// CRC32C register updates: an SSE4.2 + PCLMULQDQ path chosen at run time, and a slicing-by-8
// software path. The contract is in include/flexshim_crc32c.h.
#include "flexshim_crc32c.h"
#include <pthread.h>
#include <string.h>

#define CRC32C_POLYNOMIAL 0x82F63B78u

// MARK: - Software: slicing-by-8

// software_table[k][b] is the register change caused by byte b followed by k zero bytes.
static uint32_t software_table[8][256];
static pthread_once_t software_table_once = PTHREAD_ONCE_INIT;

static void build_software_table(void) {
    for (uint32_t byte = 0; byte < 256; byte++) {
        uint32_t crc = byte;
        for (int bit = 0; bit < 8; bit++) {
            crc = (crc >> 1) ^ ((crc & 1) ? CRC32C_POLYNOMIAL : 0);
        }
        software_table[0][byte] = crc;
    }
    for (int slice = 1; slice < 8; slice++) {
        for (int byte = 0; byte < 256; byte++) {
            uint32_t previous = software_table[slice - 1][byte];
            software_table[slice][byte] = (previous >> 8) ^ software_table[0][previous & 0xFF];
        }
    }
}

static inline uint32_t load_little_endian_32(const uint8_t *bytes) {
    return (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
}

uint32_t flexshim_crc32c_update_software(uint32_t crc, const void *data, size_t length) {
    pthread_once(&software_table_once, build_software_table);
    const uint32_t (*table)[256] = software_table;
    const uint8_t *bytes = data;
    while (length >= 8) {
        uint32_t low = crc ^ load_little_endian_32(bytes);
        uint32_t high = load_little_endian_32(bytes + 4);
        crc = table[7][low & 0xFF] ^ table[6][(low >> 8) & 0xFF] ^ table[5][(low >> 16) & 0xFF] ^ table[4][low >> 24]
            ^ table[3][high & 0xFF] ^ table[2][(high >> 8) & 0xFF] ^ table[1][(high >> 16) & 0xFF] ^ table[0][high >> 24];
        bytes += 8;
        length -= 8;
    }
    while (length > 0) {
        crc = (crc >> 8) ^ table[0][(crc ^ *bytes) & 0xFF];
        bytes += 1;
        length -= 1;
    }
    return crc;
}

// MARK: - Hardware: SSE4.2 crc32 in three interleaved streams, joined with PCLMULQDQ

#if defined(__x86_64__)
#include <nmmintrin.h>
#include <wmmintrin.h>

#define HARDWARE __attribute__((target("sse4.2,pclmul")))

static inline uint64_t load_64(const uint8_t *bytes) {
    uint64_t value;
    memcpy(&value, bytes, sizeof value);
    return value;
}

// One stream, 8 bytes per crc32 instruction, then the 4/2/1-byte tail.
HARDWARE static uint32_t hardware_single_stream(uint32_t crc, const uint8_t *bytes, size_t length) {
    uint64_t wide = crc;
    while (length >= 8) {
        wide = _mm_crc32_u64(wide, load_64(bytes));
        bytes += 8;
        length -= 8;
    }
    crc = (uint32_t)wide;
    if (length & 4) {
        uint32_t value;
        memcpy(&value, bytes, sizeof value);
        crc = _mm_crc32_u32(crc, value);
        bytes += 4;
    }
    if (length & 2) {
        uint16_t value;
        memcpy(&value, bytes, sizeof value);
        crc = _mm_crc32_u16(crc, value);
        bytes += 2;
    }
    if (length & 1) {
        crc = _mm_crc32_u8(crc, *bytes);
    }
    return crc;
}

// Processes 3 * stream_length bytes as three independent streams so that three crc32 instructions
// are in flight (latency 3, throughput 1 per cycle), then joins them.
//
// Joining: the register is linear, so the register after A‖B equals shift(reg_A, |B|) ^ reg_B(from 0),
// where shift(c, n) = c·x^(8n) mod P. A carry-less product of two bit-reflected 32-bit polynomials,
// read as a reflected 64-bit value, is x·a·b; crc32 on a 64-bit value v from register c gives
// c·x^64 + v·x^32 mod P. So with k = x^(8n-33) mod P, crc32(c2, clmul(c, k) ^ d) adds c·x^(8n) to the
// register. The third stream therefore stops one 8-byte step early and absorbs the first stream
// (shifted by 2 * stream_length) and the second (shifted by stream_length) in its last step.
HARDWARE __attribute__((always_inline)) static inline uint32_t hardware_three_streams(
    uint32_t crc, const uint8_t *bytes, size_t stream_length, uint64_t first_shift, uint64_t second_shift) {
    const uint8_t *first = bytes;
    const uint8_t *second = bytes + stream_length;
    const uint8_t *third = bytes + 2 * stream_length;
    uint64_t first_crc = crc, second_crc = 0, third_crc = 0;
    size_t last = stream_length - 8;
    for (size_t offset = 0; offset < last; offset += 8) {
        first_crc = _mm_crc32_u64(first_crc, load_64(first + offset));
        second_crc = _mm_crc32_u64(second_crc, load_64(second + offset));
        third_crc = _mm_crc32_u64(third_crc, load_64(third + offset));
    }
    first_crc = _mm_crc32_u64(first_crc, load_64(first + last));
    second_crc = _mm_crc32_u64(second_crc, load_64(second + last));
    __m128i first_shifted = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)first_crc), _mm_cvtsi64_si128((long long)first_shift), 0x00);
    __m128i second_shifted = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)second_crc), _mm_cvtsi64_si128((long long)second_shift), 0x00);
    uint64_t joined = (uint64_t)_mm_cvtsi128_si64(_mm_xor_si128(first_shifted, second_shifted));
    return (uint32_t)_mm_crc32_u64(third_crc, joined ^ load_64(third + last));
}

// Stream lengths (bytes, multiples of 8) from long to short, each with its join constants
// x^(8·2·L − 33) mod P and x^(8·L − 33) mod P in bit-reflected form.
#define THREE_STREAMS_WHILE_FITS(stream_length, first_shift, second_shift)                         \
    while (length >= 3 * (size_t)(stream_length)) {                                                  \
        crc = hardware_three_streams(crc, bytes, (stream_length), (first_shift), (second_shift));   \
        bytes += 3 * (size_t)(stream_length);                                                       \
        length -= 3 * (size_t)(stream_length);                                                      \
    }

HARDWARE static uint32_t hardware_update(uint32_t crc, const void *data, size_t length) {
    const uint8_t *bytes = data;
    THREE_STREAMS_WHILE_FITS(4096, 0x54A86326u, 0x82F89C77u)
    THREE_STREAMS_WHILE_FITS(512, 0x170076FAu, 0xDD7E3B0Cu)
    THREE_STREAMS_WHILE_FITS(64, 0x0D3B6092u, 0x9E4ADDF8u)
    return hardware_single_stream(crc, bytes, length);
}
#endif

// MARK: - Dispatch

int flexshim_crc32c_hardware_available(void) {
#if defined(__x86_64__)
    return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("pclmul");
#else
    return 0;
#endif
}

uint32_t flexshim_crc32c_update(uint32_t crc, const void *data, size_t length) {
#if defined(__x86_64__)
    if (flexshim_crc32c_hardware_available()) {
        return hardware_update(crc, data, length);
    }
#endif
    return flexshim_crc32c_update_software(crc, data, length);
}
