import Foundation
import Storage
import Testing
import TestSupport
@testable import Barrier

@Suite struct BarrierDiskTests {
    /// Writes known secrets through a barrier over LMDB, then scans the raw data file:
    /// neither the secrets nor any key may appear in clear.
    @Test func dataFilesHoldNoSecretsOrKeysInClear() async throws {
        var rng = SeededGenerator.forTest("dataFilesHoldNoSecretsOrKeysInClear")
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("coffer-barrier-disk-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let physical = try LMDBStorage(path: path)
        let barrier = Barrier(physical: physical)
        let unsealKey = SecretKey()
        try await barrier.initialize(unsealKey: unsealKey)
        try await barrier.unseal(unsealKey: unsealKey)

        var secrets = [[UInt8]]()
        for i in 0..<40 {
            let secret = Array("s3cr3t-\(i)-".utf8) + rng.bytes(24)
            secrets.append(secret)
            try await barrier.put("logical/kv/secret-\(i)", secret)
        }
        try await barrier.rotate()
        for i in 40..<60 {
            let secret = Array("s3cr3t-\(i)-".utf8) + rng.bytes(24)
            secrets.append(secret)
            try await barrier.batch([.put(key: "logical/kv/secret-\(i)", value: secret)])
        }
        let keys = await barrier.keysForTesting().map { $0.copyBytes() }
        #expect(keys.count == 3)
        let rootKey = try #require(await barrier.rootKeyBytesForTesting())
        #expect(keys[0] == rootKey)

        // Positive control: the scan does find what is written in clear.
        let marker = Array("plaintext-marker-".utf8) + rng.bytes(16)
        try await physical.put("control", marker)

        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path + "/data.mdb")))
        #expect(contains(data, marker), "the scan must see clear text written below the barrier")
        for (index, secret) in secrets.enumerated() {
            #expect(!contains(data, secret), "secret \(index) found in clear")
            #expect(!contains(data, Array(secret.suffix(24))), "random part of secret \(index) found in clear")
        }
        for (index, key) in (keys + [unsealKey.copyBytes()]).enumerated() {
            #expect(!contains(data, key), "key \(index) found in clear")
            #expect(!contains(data, Array(key.prefix(12))), "a prefix of key \(index) found in clear")
        }
        // And the values still read back.
        #expect(try await barrier.get("logical/kv/secret-0") == secrets[0])
        #expect(try await barrier.get("logical/kv/secret-59") == secrets[59])
    }
}
