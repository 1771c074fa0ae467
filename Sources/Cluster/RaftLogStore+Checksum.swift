import CChecksum

extension RaftLogStore {
    /// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum on every stored record.
    ///
    /// Why CRC-32C and not a truncated SHA-256: the threat is storage corruption (bit rot, a torn or
    /// misdirected write, a stray byte), not an adversary — anyone able to rewrite the data file can
    /// recompute any unkeyed hash, so a cryptographic digest buys no security. CRC-32C detects every
    /// burst error up to 32 bits and every error of up to 3 flipped bits in records far larger than ours,
    /// costs 4 bytes per record, and is what etcd's WAL and ext4/Btrfs metadata use for the same job.
    ///
    /// Computed with the CPU's CRC-32C instruction where there is one (SSE 4.2, every x86-64 server CPU since
    /// 2008): the byte-at-a-time table was 1.5% of a write's cluster CPU, as every log record is summed when
    /// written and again when read. The table remains for other CPUs, and as the tests' oracle.
    enum CRC32C {
        static let usesHardware = coffer_crc32c_hardware_available() == 1

        static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            if usesHardware {
                return bytes.withUnsafeBufferPointer { buffer in
                    coffer_crc32c_hardware(buffer.baseAddress, buffer.count)
                }
            }
            return tableChecksum(bytes)
        }

        static func tableChecksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
            }
            return crc ^ 0xFFFF_FFFF
        }

        static func checksum(_ bytes: [UInt8]) -> UInt32 {
            checksum(bytes[...])
        }

        private static let table: [UInt32] = (0..<256).map { value -> UInt32 in
            var crc = UInt32(value)
            for _ in 0..<8 {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
            }
            return crc
        }
    }
}
