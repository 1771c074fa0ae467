import Testing
@testable import Storage

@Suite struct StorageViewTests {
    @Test(arguments: StorageConformance.Check.allCases)
    func conforms(_ check: StorageConformance.Check) async throws {
        let base = MemoryStorage()
        // Noise outside the view must never show through it.
        try await base.put("logical/other/dir/a", [7])
        try await base.put("logical/uuid", [7])
        try await StorageConformance.run(check, on: StorageView(base, prefix: "logical/uuid/"))
    }

    @Test func keysArePrefixedOnTheWayDown() async throws {
        let base = MemoryStorage()
        let view = base.view(prefix: "logical/1234/")
        try await view.put("secret/a", [1])
        try await view.batch([.put(key: "secret/b", value: [2]), .delete(key: "secret/a")])
        #expect(await base.snapshot() == ["logical/1234/secret/b": [2]])
        #expect(try await view.get("secret/b") == [2])
        #expect(try await view.list(prefix: "") == ["secret/"])
        #expect(try await view.list(prefix: "secret/") == ["b"])
    }

    @Test func viewCannotSeeItsNeighbours() async throws {
        let base = MemoryStorage()
        try await base.put("logical/a/x", [1])
        try await base.put("logical/ab/y", [2])
        let view = StorageView(base, prefix: "logical/a/")
        #expect(try await view.list(prefix: "") == ["x"])
        #expect(try await view.get("../ab/y") == nil)
        await #expect(throws: StorageError.emptyKey) { try await view.get("") }
    }

    @Test func nestedViewsCompose() async throws {
        let base = MemoryStorage()
        let nested = base.view(prefix: "auth/").view(prefix: "uuid/")
        #expect(nested.prefix == "auth/uuid/")
        try await nested.put("role/r", [3])
        #expect(try await base.get("auth/uuid/role/r") == [3])
    }
}
