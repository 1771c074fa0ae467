import Testing
@testable import Storage

@Suite struct MemoryStorageTests {
    @Test(arguments: StorageConformance.Check.allCases)
    func conforms(_ check: StorageConformance.Check) async throws {
        try await StorageConformance.run(check, on: MemoryStorage())
    }

    @Test func overlongKeysAreRejectedLikeLMDB() async throws {
        let storage = MemoryStorage()
        let longest = String(repeating: "k", count: StorageKey.maximumLength)
        try await storage.put(longest, [1])
        #expect(try await storage.get(longest) == [1])
        await #expect(throws: StorageError.keyTooLong(length: 512, maximum: 511)) {
            try await storage.put(longest + "k", [1])
        }
    }

    @Test func snapshotShowsWhatWasWritten() async throws {
        let storage = MemoryStorage()
        try await storage.batch([.put(key: "a", value: [1]), .put(key: "b/c", value: [2])])
        #expect(await storage.snapshot() == ["a": [1], "b/c": [2]])
    }
}

@Suite struct StorageKeyTests {
    @Test func childrenAreDirectNamesOnce() {
        let keys = ["p/a", "p/b/c", "p/b/d", "p/", "q/a", "pa"].map { Array($0.utf8) }
        #expect(StorageKey.children(of: keys, prefix: Array("p/".utf8)) == ["a", "b/"])
        #expect(StorageKey.children(of: keys, prefix: []) == ["p/", "pa", "q/"])
    }
}
