/// A failed expectation in ``StorageConformance``.
public struct StorageConformanceFailure: Error, CustomStringConvertible, Sendable {
    public let check: StorageConformance.Check
    public let message: String

    public var description: String { "\(check.rawValue): \(message)" }
}

/// The behaviour every ``Storage`` implementation must show, as a reusable suite.
///
/// Run each ``Check`` against a fresh, empty storage (for example with Swift Testing's
/// `@Test(arguments: StorageConformance.Check.allCases)`); a check throws
/// ``StorageConformanceFailure`` or the storage's own error when the storage misbehaves.
/// The suite lives in the library, not in a test target, so drivers in other modules
/// (replicated storage, the barrier, views) can run it too.
public enum StorageConformance {
    public enum Check: String, CaseIterable, Sendable {
        case missingKeyReadsNil
        case putThenGet
        case overwriteReplaces
        case deleteRemoves
        case deleteMissingIsNoOp
        case emptyAndBinaryValues
        case largeValue
        case keysAreUTF8Bytes
        case emptyKeyRejected
        case listDirectChildren
        case listRespectsPrefixBoundary
        case listIsSortedByUTF8
        case listOfNothingIsEmpty
        case batchAppliesInOrder
        case emptyBatchIsNoOp
        case failedBatchAppliesNothing
        case concurrentWritesAllLand
    }

    /// Runs every check, each against a fresh storage from `makeStorage`, and returns the
    /// checks that failed with their errors (empty when the storage conforms).
    public static func runAll(
        _ makeStorage: () async throws -> any Storage
    ) async -> [(check: Check, error: any Error)] {
        var failures = [(check: Check, error: any Error)]()
        for check in Check.allCases {
            do {
                try await run(check, on: makeStorage())
            } catch {
                failures.append((check, error))
            }
        }
        return failures
    }

    /// Runs one check against `storage`, which must start empty.
    public static func run(_ check: Check, on storage: any Storage) async throws {
        let expect = Expectation(check: check)
        switch check {
        case .missingKeyReadsNil:
            try expect.equal(try await storage.get("nothing/here"), nil, "get of a missing key")

        case .putThenGet:
            try await storage.put("a/b", [1, 2, 3])
            try expect.equal(try await storage.get("a/b"), [1, 2, 3], "get after put")
            try expect.equal(try await storage.get("a"), nil, "a parent path is not a key")

        case .overwriteReplaces:
            try await storage.put("k", [1, 2, 3, 4])
            try await storage.put("k", [9])
            try expect.equal(try await storage.get("k"), [9], "get after overwrite")

        case .deleteRemoves:
            try await storage.put("gone", [1])
            try await storage.put("kept", [2])
            try await storage.delete("gone")
            try expect.equal(try await storage.get("gone"), nil, "get after delete")
            try expect.equal(try await storage.get("kept"), [2], "a neighbour survives delete")
            try expect.equal(try await storage.list(prefix: ""), ["kept"], "list after delete")

        case .deleteMissingIsNoOp:
            try await storage.delete("never/written")
            try expect.equal(try await storage.list(prefix: ""), [], "list after deleting nothing")

        case .emptyAndBinaryValues:
            try await storage.put("empty", [])
            try expect.equal(try await storage.get("empty"), [], "an empty value is not a missing one")
            let everyByte = (0...255).map { UInt8($0) }
            try await storage.put("bytes", everyByte)
            try expect.equal(try await storage.get("bytes"), everyByte, "all 256 byte values")

        case .largeValue:
            let value = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
            try await storage.put("large", value)
            try expect.equal(try await storage.get("large"), value, "a 1 MiB value")

        case .keysAreUTF8Bytes:
            // Canonically equivalent but differently encoded keys stay distinct.
            try await storage.put("caf\u{E9}", [1])
            try await storage.put("cafe\u{301}", [2])
            try await storage.put("\u{1F511}/key", [3])
            try expect.equal(try await storage.get("caf\u{E9}"), [1], "precomposed key")
            try expect.equal(try await storage.get("cafe\u{301}"), [2], "decomposed key")
            try expect.equal(try await storage.get("\u{1F511}/key"), [3], "non-BMP key")
            try expect.equal(try await storage.list(prefix: "\u{1F511}/"), ["key"], "list below a non-BMP key")

        case .emptyKeyRejected:
            try await expect.throwsError("put with an empty key") { try await storage.put("", [1]) }
            try await expect.throwsError("get with an empty key") { _ = try await storage.get("") }
            try await expect.throwsError("delete with an empty key") { try await storage.delete("") }

        case .listDirectChildren:
            for key in ["dir/a", "dir/b/c", "dir/b/d", "dir/b/e/f", "dir/c/", "other/x", "top"] {
                try await storage.put(key, [0])
            }
            try expect.equal(try await storage.list(prefix: "dir/"), ["a", "b/", "c/"], "children of dir/")
            try expect.equal(try await storage.list(prefix: "dir/b/"), ["c", "d", "e/"], "children of dir/b/")
            try expect.equal(try await storage.list(prefix: ""), ["dir/", "other/", "top"], "children of the root")
            try expect.equal(try await storage.list(prefix: "dir/c/"), [], "a key equal to the prefix is not a child")
            try expect.equal(try await storage.list(prefix: "di"), ["r/"], "a prefix need not end in /")

        case .listRespectsPrefixBoundary:
            for key in ["a/b", "a-b", "ab", "a", "b/a"] {
                try await storage.put(key, [0])
            }
            try expect.equal(try await storage.list(prefix: "a/"), ["b"], "keys beside the prefix are not listed")
            try expect.equal(try await storage.list(prefix: "zz/"), [], "an absent prefix lists nothing")

        case .listIsSortedByUTF8:
            let names = ["b", "a", "\u{E9}", "Z", "a0", "a/", "\u{1F511}", "e\u{301}"]
            for name in names {
                try await storage.put("s/" + name + (name.hasSuffix("/") ? "x" : ""), [0])
            }
            let expected = names.map { Array($0.utf8) }
                .sorted { $0.lexicographicallyPrecedes($1) }
                .map { String(decoding: $0, as: UTF8.self) }
            let listed = try await storage.list(prefix: "s/")
            try expect.equal(listed.map { Array($0.utf8) }, expected.map { Array($0.utf8) }, "order of list")

        case .listOfNothingIsEmpty:
            try expect.equal(try await storage.list(prefix: ""), [], "list of an empty storage")

        case .batchAppliesInOrder:
            try await storage.put("old", [1])
            try await storage.batch([
                .put(key: "x", value: [1]),
                .put(key: "y", value: [2]),
                .delete(key: "old"),
                .put(key: "x", value: [3]),
                .put(key: "z", value: [4]),
                .delete(key: "z"),
            ])
            try expect.equal(try await storage.get("x"), [3], "the later put of x wins")
            try expect.equal(try await storage.get("y"), [2], "y was put")
            try expect.equal(try await storage.get("old"), nil, "old was deleted")
            try expect.equal(try await storage.get("z"), nil, "z was put then deleted")

        case .emptyBatchIsNoOp:
            try await storage.batch([])
            try expect.equal(try await storage.list(prefix: ""), [], "list after an empty batch")

        case .failedBatchAppliesNothing:
            try await storage.put("keep", [1])
            try await expect.throwsError("a batch with an empty key") {
                try await storage.batch([
                    .put(key: "first", value: [1]),
                    .delete(key: "keep"),
                    .put(key: "", value: [2]),
                ])
            }
            try expect.equal(try await storage.get("first"), nil, "no put of a failed batch is visible")
            try expect.equal(try await storage.get("keep"), [1], "no delete of a failed batch is visible")

        case .concurrentWritesAllLand:
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<32 {
                    group.addTask { try await storage.put("c/\(i)", [UInt8(i)]) }
                }
                try await group.waitForAll()
            }
            for i in 0..<32 {
                try expect.equal(try await storage.get("c/\(i)"), [UInt8(i)], "concurrent write \(i)")
            }
            try expect.equal(try await storage.list(prefix: "c/").count, 32, "every concurrent key is listed")
        }
    }

    private struct Expectation {
        let check: Check

        func equal<T: Equatable>(_ actual: T, _ expected: T, _ what: String) throws {
            guard actual == expected else {
                let got = String(describing: actual).prefix(200)
                let wanted = String(describing: expected).prefix(200)
                throw StorageConformanceFailure(check: check, message: "\(what): got \(got), expected \(wanted)")
            }
        }

        func throwsError(_ what: String, _ body: () async throws -> Void) async throws {
            do {
                try await body()
            } catch {
                return
            }
            throw StorageConformanceFailure(check: check, message: "\(what) did not throw")
        }
    }
}
