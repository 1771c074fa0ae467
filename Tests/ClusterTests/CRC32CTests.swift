import Testing

@testable import Cluster

/// The log's record checksum: known CRC-32C vectors, and the CPU instruction path against the table.
@Suite struct CRC32CTests {
    typealias CRC32C = RaftLogStore.CRC32C

    @Test func knownVectors() {
        for sum in [CRC32C.checksum, CRC32C.tableChecksum] {
            #expect(sum(Array("123456789".utf8)[...]) == 0xE306_9283)
            #expect(sum([][...]) == 0)
            // RFC 3720, appendix B.4.
            #expect(sum([UInt8](repeating: 0, count: 32)[...]) == 0x8A91_36AA)
            #expect(sum([UInt8](repeating: 0xFF, count: 32)[...]) == 0x62A8_AB43)
            #expect(sum((0..<32).map { UInt8($0) }[...]) == 0x46DD_794E)
        }
    }

    @Test func theInstructionAgreesWithTheTableOnEveryLengthAndOffset() {
        #if arch(x86_64)
        #expect(CRC32C.usesHardware, "every x86-64 CPU this runs on has SSE 4.2")
        #endif
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<600).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for start in 0..<9 {
            for end in stride(from: start, through: bytes.count, by: 7) {
                let slice = bytes[start..<end]
                #expect(CRC32C.checksum(slice) == CRC32C.tableChecksum(slice), "bytes \(start)..<\(end)")
            }
        }
    }
}
