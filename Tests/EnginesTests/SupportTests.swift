import Core
import Engines
import Foundation
import Storage
import Testing

@Test func timestampsPrintLikeGoRFC3339Nano() {
    #expect(Timestamp(nanosecondsSinceEpoch: 1_795_339_228_696_858_721).rfc3339Nano == "2026-11-22T09:20:28.696858721Z")
    #expect(Timestamp(nanosecondsSinceEpoch: 1_795_339_228_500_000_000).rfc3339Nano == "2026-11-22T09:20:28.5Z")
    #expect(Timestamp(nanosecondsSinceEpoch: 1_795_339_228_000_000_000).rfc3339Nano == "2026-11-22T09:20:28Z")
    #expect(Timestamp(nanosecondsSinceEpoch: 0).rfc3339Nano == "1970-01-01T00:00:00Z")
    #expect(Timestamp(nanosecondsSinceEpoch: 951_782_400_000_000_001).rfc3339Nano == "2000-02-29T00:00:00.000000001Z")
}

@Test func durationsFormatAndParseLikeGo() {
    #expect(GoDuration.format(seconds: 0) == "0s")
    #expect(GoDuration.format(seconds: 45) == "45s")
    #expect(GoDuration.format(seconds: 90) == "1m30s")
    #expect(GoDuration.format(seconds: 5400) == "1h30m0s")
    #expect(GoDuration.format(seconds: -1) == "-1s")
    #expect(GoDuration.parseSeconds("1h30m") == .success(5_400_000_000_000))
    #expect(GoDuration.parseSeconds("90") == .success(90_000_000_000))
    #expect(GoDuration.parseSeconds(60) == .success(60_000_000_000))
    #expect(GoDuration.parseSeconds("2d") == .success(172_800_000_000_000))
    #expect(GoDuration.parseSeconds("1.5s") == .success(1_500_000_000))
    #expect(GoDuration.parseSeconds("bogus") == .failure(FieldError("time: invalid duration \"bogus\"")))
}

@Test func registryMapsMountTypes() {
    #expect(EngineRegistry.makeBackend(type: "kv", options: ["version": "2"]) is KVv2Backend)
    #expect(EngineRegistry.makeBackend(type: "kv", options: [:]) is KVv1Backend)
    #expect(EngineRegistry.makeBackend(type: "kv", options: ["version": "1"]) is KVv1Backend)
    #expect(EngineRegistry.makeBackend(type: "kv-v2", options: [:]) is KVv2Backend)
    #expect(EngineRegistry.makeBackend(type: "cubbyhole", options: [:]) is CubbyholeBackend)
    #expect(EngineRegistry.makeBackend(type: "transit", options: [:]) == nil)
    #expect(EngineRegistry.factory("kv-v2", [:]) is KVv2Backend)
}

private func caller(_ id: String) -> Caller {
    Caller(accessor: "acc-\(id)", policies: ["default"], displayName: "token", tokenStorageID: id)
}

@Test func cubbyholeIsPerTokenAndDestroyRemovesOnlyOneToken() async throws {
    let storage = MemoryStorage()
    let backend = CubbyholeBackend()
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    func req(_ op: Core.Operation, _ path: String, _ data: [String: JSONValue] = [:], as id: String) -> BackendRequest {
        BackendRequest(
            operation: op, path: path, data: data, storage: storage, mountPoint: "cubbyhole/", caller: caller(id),
            now: now)
    }
    _ = try await backend.handle(req(.create, "a", ["v": 1], as: "t1"))
    _ = try await backend.handle(req(.create, "dir/deep/b", ["v": 2], as: "t1"))
    _ = try await backend.handle(req(.create, "a", ["v": 3], as: "t2"))
    await #expect(throws: CoreError.notFound([])) { try await backend.handle(req(.read, "dir/deep/b", as: "t2")) }
    try await CubbyholeBackend.destroy(tokenStorageID: "t1", in: storage)
    await #expect(throws: CoreError.notFound([])) { try await backend.handle(req(.read, "a", as: "t1")) }
    await #expect(throws: CoreError.notFound([])) { try await backend.handle(req(.list, "", as: "t1")) }
    let survivor = try await backend.handle(req(.read, "a", as: "t2"))
    #expect(survivor == Response.data(["v": 3]))
    #expect(await storage.snapshot().keys.sorted() == ["t2/a"])
}

@Test func cubbyholeRefusesRequestsWithoutCaller() async {
    let request = BackendRequest(
        operation: .read, path: "a", data: [:], storage: MemoryStorage(), mountPoint: "cubbyhole/",
        now: Date(timeIntervalSince1970: 0))
    await #expect(throws: CoreError.permissionDenied) { try await CubbyholeBackend().handle(request) }
}

@Test func kvV1ReportsTTLAsLeaseDuration() async throws {
    let storage = MemoryStorage()
    let backend = KVv1Backend()
    let now = Date(timeIntervalSince1970: 0)
    func req(_ op: Core.Operation, _ path: String, _ data: [String: JSONValue] = [:]) -> BackendRequest {
        BackendRequest(operation: op, path: path, data: data, storage: storage, mountPoint: "kv/", now: now)
    }
    _ = try await backend.handle(req(.create, "with", ["ttl": "2h", "x": 1]))
    _ = try await backend.handle(req(.create, "without", ["x": 1]))
    guard case .logical(let with)? = try await backend.handle(req(.read, "with"))?.body,
        case .logical(let without)? = try await backend.handle(req(.read, "without"))?.body
    else {
        Issue.record("reads did not answer logical bodies")
        return
    }
    #expect(with.leaseDuration == 7200)
    #expect(without.leaseDuration == 2_764_800)
    #expect(with.leaseID.isEmpty && !with.renewable)
}
