#include "coffer_checksum.h"

#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>

int coffer_crc32c_hardware_available(void) {
    return __builtin_cpu_supports("sse4.2") ? 1 : 0;
}

__attribute__((target("sse4.2")))
uint32_t coffer_crc32c_hardware(const uint8_t *bytes, size_t length) {
    uint64_t crc = 0xFFFFFFFFu;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, bytes, sizeof word);
        crc = _mm_crc32_u64(crc, word);
        bytes += 8;
        length -= 8;
    }
    uint32_t tail = (uint32_t)crc;
    while (length > 0) {
        tail = _mm_crc32_u8(tail, *bytes);
        bytes += 1;
        length -= 1;
    }
    return tail ^ 0xFFFFFFFFu;
}

#else

int coffer_crc32c_hardware_available(void) {
    return 0;
}

uint32_t coffer_crc32c_hardware(const uint8_t *bytes, size_t length) {
    (void)bytes;
    (void)length;
    return 0;
}

#endif
