import Core
import Engines
import Foundation
import Storage
import Testing

private let mount = "secret/"
private let start = Date(timeIntervalSince1970: 1_800_000_000)

private func request(
    _ operation: Core.Operation, _ path: String, _ data: [String: JSONValue] = [:], storage: any Storage,
    at now: Date = start
) -> BackendRequest {
    BackendRequest(operation: operation, path: path, data: data, storage: storage, mountPoint: mount, now: now)
}

private func dataOf(_ response: Response?) -> [String: JSONValue]? {
    guard let response, case .logical(let body) = response.body else { return nil }
    return body.data
}

private func outcome(_ backend: KVv2Backend, _ req: BackendRequest) async -> Result<Response?, CoreError> {
    do {
        return .success(try await backend.handle(req))
    } catch {
        return .failure(error)
    }
}

@Test func twentyConcurrentWritesMakeTwentyVersions() async throws {
    let storage = MemoryStorage()
    let backend = KVv2Backend()
    _ = try await backend.handle(request(.update, "metadata/busy", ["max_versions": 50], storage: storage))
    let versions = await withTaskGroup(of: Int64?.self) { group in
        for index in 0..<20 {
            group.addTask {
                let req = request(.update, "data/busy", ["data": ["writer": .int(Int64(index))]], storage: storage)
                guard case .success(let response) = await outcome(backend, req),
                    case .int(let version)? = dataOf(response)?["version"]
                else { return nil }
                return version
            }
        }
        var collected: [Int64] = []
        for await version in group { if let version { collected.append(version) } }
        return collected
    }
    #expect(versions.sorted() == Array(1...20))
    let metadata = dataOf(try await backend.handle(request(.read, "metadata/busy", storage: storage)))
    #expect(metadata?["current_version"] == .int(20))
    #expect(metadata?["versions"]?.objectValue?.count == 20)
}

@Test func concurrentCheckAndSetHasExactlyOneWinner() async throws {
    let storage = MemoryStorage()
    let backend = KVv2Backend()
    _ = try await backend.handle(request(.create, "data/race", ["data": ["v": 0]], storage: storage))
    let results = await withTaskGroup(of: Bool.self) { group in
        for index in 0..<20 {
            group.addTask {
                let req = request(
                    .update, "data/race", ["data": ["v": .int(Int64(index))], "options": ["cas": 1]], storage: storage)
                if case .success = await outcome(backend, req) { return true }
                return false
            }
        }
        var wins = 0
        for await won in group where won { wins += 1 }
        return wins
    }
    #expect(results == 1)
    let latest = dataOf(try await backend.handle(request(.read, "data/race", storage: storage)))
    #expect(latest?["metadata"]?.objectValue?["version"] == .int(2))
}

@Test func checkAndSetZeroOnlyCreates() async throws {
    let storage = MemoryStorage()
    let backend = KVv2Backend()
    let first = await outcome(
        backend, request(.create, "data/k", ["data": ["a": 1], "options": ["cas": 0]], storage: storage))
    #expect((try? first.get()).flatMap(dataOf)?["version"] == .int(1))
    let second = await outcome(
        backend, request(.update, "data/k", ["data": ["a": 2], "options": ["cas": 0]], storage: storage))
    #expect(second == .failure(.badRequest("check-and-set parameter did not match the current version")))
}

@Test func maxVersionsPrunesStoredData() async throws {
    let storage = MemoryStorage()
    let backend = KVv2Backend()
    _ = try await backend.handle(request(.update, "config", ["max_versions": 2], storage: storage))
    for index in 1...5 {
        _ = try await backend.handle(request(.update, "data/p", ["data": ["i": .int(Int64(index))]], storage: storage))
    }
    let metadata = dataOf(try await backend.handle(request(.read, "metadata/p", storage: storage)))
    #expect(metadata?["oldest_version"] == .int(4))
    #expect(metadata?["versions"]?.objectValue?.keys.sorted() == ["4", "5"])
    let versionKeys = await storage.snapshot().keys.filter { $0.hasPrefix("versions/") }
    #expect(versionKeys.count == 2)
    await #expect(throws: CoreError.notFound([])) {
        try await backend.handle(request(.read, "data/p", ["version": "3"], storage: storage))
    }
}

@Test func deleteVersionAfterHidesVersionOnceDue() async throws {
    let storage = MemoryStorage()
    let backend = KVv2Backend()
    _ = try await backend.handle(request(.update, "metadata/t", ["delete_version_after": "10s"], storage: storage))
    _ = try await backend.handle(request(.update, "data/t", ["data": ["a": 1]], storage: storage))
    let early = try await backend.handle(request(.read, "data/t", storage: storage, at: start.addingTimeInterval(9)))
    #expect(early?.status == 200)
    let late = try await backend.handle(request(.read, "data/t", storage: storage, at: start.addingTimeInterval(11)))
    #expect(late?.status == 404)
    #expect(dataOf(late)?["data"] == .null)
}

@Test func metadataDeleteRemovesEveryStoredRecordOfTheKey() async throws {
    let storage = MemoryStorage()
    let backend = KVv2Backend()
    for _ in 1...3 { _ = try await backend.handle(request(.update, "data/gone", ["data": ["a": 1]], storage: storage)) }
    #expect(await storage.snapshot().count == 4)
    let response = try await backend.handle(request(.delete, "metadata/gone", storage: storage))
    #expect(response == .noContent)
    #expect(await storage.snapshot().isEmpty)
}

@Test func existsFollowsMetadata() async throws {
    let storage = MemoryStorage()
    let backend = KVv2Backend()
    #expect(try await backend.exists(request(.update, "data/e", storage: storage)) == false)
    _ = try await backend.handle(request(.create, "data/e", ["data": ["a": 1]], storage: storage))
    #expect(try await backend.exists(request(.update, "data/e", storage: storage)))
    #expect(try await backend.exists(request(.update, "metadata/e", storage: storage)))
}

@Test func destroyedVersionCannotBeUndeleted() async throws {
    let storage = MemoryStorage()
    let backend = KVv2Backend()
    _ = try await backend.handle(request(.create, "data/d", ["data": ["a": 1]], storage: storage))
    _ = try await backend.handle(request(.update, "destroy/d", ["versions": [1]], storage: storage))
    _ = try await backend.handle(request(.update, "undelete/d", ["versions": [1]], storage: storage))
    let read = try await backend.handle(request(.read, "data/d", storage: storage))
    #expect(read?.status == 404)
    #expect(dataOf(read)?["metadata"]?.objectValue?["destroyed"] == .bool(true))
}

@Test func patchMergesNestedObjects() async throws {
    let storage = MemoryStorage()
    let backend = KVv2Backend()
    _ = try await backend.handle(
        request(.create, "data/m", ["data": ["keep": 1, "drop": 2, "nest": ["x": 1, "y": 2]]], storage: storage))
    _ = try await backend.handle(
        request(.patch, "data/m", ["data": ["drop": nil, "nest": ["y": nil, "z": 3]]], storage: storage))
    let read = dataOf(try await backend.handle(request(.read, "data/m", storage: storage)))
    #expect(read?["data"] == ["keep": 1, "nest": ["x": 1, "z": 3]])
}

@Test func readsRacingWithMetadataDeleteNeverFail() async throws {
    let storage = MemoryStorage()
    let backend = KVv2Backend()
    for round in 0..<30 {
        _ = try await backend.handle(
            request(.update, "data/flaky", ["data": ["round": .int(Int64(round))]], storage: storage))
        let failures = await withTaskGroup(of: Int.self) { group in
            for reader in 0..<8 {
                group.addTask {
                    let path = reader % 2 == 0 ? "data/flaky" : "subkeys/flaky"
                    let result = await outcome(backend, request(.read, path, storage: storage))
                    if case .failure(let error) = result, error != .notFound([]) { return 1 }
                    return 0
                }
            }
            group.addTask {
                if case .failure = await outcome(backend, request(.delete, "metadata/flaky", storage: storage)) {
                    return 1
                }
                return 0
            }
            var total = 0
            for await failed in group { total += failed }
            return total
        }
        #expect(failures == 0, "round \(round)")
    }
}
