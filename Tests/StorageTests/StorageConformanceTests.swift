import Testing
@testable import Storage

/// A storage with two classic bugs, to show the conformance suite catches them: `list`
/// returns full keys instead of direct children, and `batch` applies operations one by one
/// so a failing operation leaves the earlier ones behind.
actor FlawedStorage: Storage {
    private var entries: [String: [UInt8]] = [:]

    func get(_ key: String) throws -> [UInt8]? {
        try StorageKey.validate(key)
        return entries[key]
    }

    func put(_ key: String, _ value: [UInt8]) throws {
        try StorageKey.validate(key)
        entries[key] = value
    }

    func delete(_ key: String) throws {
        try StorageKey.validate(key)
        entries[key] = nil
    }

    func list(prefix: String) -> [String] {
        entries.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }.sorted()
    }

    func batch(_ operations: [StorageOperation]) throws {
        for operation in operations {
            switch operation {
            case .put(let key, let value): try put(key, value)
            case .delete(let key): try delete(key)
            }
        }
    }
}

@Suite struct StorageConformanceTests {
    @Test func aConformingStoragePassesEveryCheck() async {
        let failures = await StorageConformance.runAll { MemoryStorage() }
        #expect(failures.isEmpty, "\(failures.map { "\($0.check): \($0.error)" })")
    }

    @Test func theSuiteCatchesBrokenListingAndNonAtomicBatches() async {
        let failures = await StorageConformance.runAll { FlawedStorage() }
        let failed = Set(failures.map(\.check))
        #expect(failed.contains(.listDirectChildren))
        #expect(failed.contains(.failedBatchAppliesNothing))
        #expect(failed.contains(.keysAreUTF8Bytes))  // String keys merge canonically equal names
        #expect(!failed.contains(.putThenGet))
    }
}
