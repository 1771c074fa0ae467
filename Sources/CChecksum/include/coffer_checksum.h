#ifndef COFFER_CHECKSUM_H
#define COFFER_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has a CRC-32C instruction `coffer_crc32c_hardware` can use (SSE 4.2 on x86-64), else 0.
int coffer_crc32c_hardware_available(void);

/// CRC-32C (Castagnoli) of `length` bytes, with the usual all-ones initial value and final inversion, computed
/// with the CPU's CRC-32C instruction. Call only when `coffer_crc32c_hardware_available()` returned 1.
uint32_t coffer_crc32c_hardware(const uint8_t *bytes, size_t length);

#endif
