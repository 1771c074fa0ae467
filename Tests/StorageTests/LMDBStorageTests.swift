import Foundation
import LMDB
import Testing
import TestSupport
@testable import Storage

/// A fresh directory under the system temporary directory.
func temporaryPath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("coffer-storage-tests-\(UUID().uuidString)").path
}

@Suite struct LMDBStorageTests {
    @Test(arguments: StorageConformance.Check.allCases)
    func conforms(_ check: StorageConformance.Check) async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await StorageConformance.run(check, on: LMDBStorage(path: path))
    }

    @Test(arguments: StorageConformance.Check.allCases)
    func conformsThroughAView(_ check: StorageConformance.Check) async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let storage = try LMDBStorage(path: path)
        try await storage.put("logical/a", [1])
        try await storage.put("logical/a0/x", [1])
        try await StorageConformance.run(check, on: storage.view(prefix: "logical/a/"))
    }

    @Test func dataSurvivesReopening() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let storage = try LMDBStorage(path: path)
            try await storage.batch([.put(key: "a/b", value: [1]), .put(key: "c", value: [2])])
        }
        let reopened = try LMDBStorage(path: path)
        #expect(try await reopened.get("a/b") == [1])
        #expect(try await reopened.list(prefix: "") == ["a/", "c"])
    }

    @Test func databasesInOneEnvironmentAreIsolated() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let environment = try Environment(path: path)
        let first = try LMDBStorage(environment: environment, databaseName: "first")
        let second = try LMDBStorage(environment: environment, databaseName: "second")
        try await first.put("k", [1])
        #expect(try await second.get("k") == nil)
        #expect(try await second.list(prefix: "") == [])
    }

    @Test func listSkipsLargeSubtreesAndMatchesTheMemoryDriver() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lmdb = try LMDBStorage(path: path)
        let memory = MemoryStorage()
        var operations = [StorageOperation]()
        var rng = SeededGenerator.forTest("listSkipsLargeSubtreesAndMatchesTheMemoryDriver")
        let segments = ["a", "b", "a-b", "a/", "\u{E9}", "z", "a0", "ab", "0", "/"]
        for _ in 0..<2000 {
            let depth = Int.random(in: 1...4, using: &rng)
            let key = (0..<depth).map { _ in segments.randomElement(using: &rng) ?? "a" }.joined(separator: "/")
            operations.append(.put(key: key, value: [1]))
        }
        try await lmdb.batch(operations)
        try await memory.batch(operations)
        for prefix in ["", "a/", "a", "b/a/", "a//", "/", "z/a-b/", "\u{E9}/"] {
            let fromLMDB = try await lmdb.list(prefix: prefix)
            let fromMemory = await memory.list(prefix: prefix)
            #expect(fromLMDB == fromMemory, "prefix \(prefix)")
        }
    }

    @Test func aBatchTooLargeForTheMapLeavesNothingBehind() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configuration = Environment.Configuration(mapSize: 128 << 10, maximumMapSize: 512 << 10)
        let storage = try LMDBStorage(path: path, configuration: configuration)
        try await storage.put("small", [1])
        let big = [UInt8](repeating: 9, count: 256 << 10)
        await #expect(throws: LMDBError.self) {
            try await storage.batch([.put(key: "x", value: big), .put(key: "y", value: big), .delete(key: "small")])
        }
        #expect(try await storage.get("x") == nil)
        #expect(try await storage.get("small") == [1])
        // A batch that fits after growing the map succeeds.
        try await storage.batch([.put(key: "x", value: big)])
        #expect(try await storage.get("x") == big)
    }

    @Test func keyLimitsMatchLMDB() async throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let storage = try LMDBStorage(path: path)
        #expect(storage.environment.maxKeySize == StorageKey.maximumLength)
        await #expect(throws: StorageError.keyTooLong(length: 512, maximum: 511)) {
            try await storage.put(String(repeating: "k", count: 512), [1])
        }
    }
}
