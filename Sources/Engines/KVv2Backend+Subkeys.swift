import Core

/// `subkeys/<key>`: the shape of a version's data with every leaf replaced by null, down
/// to an optional depth.
extension KVv2Backend {
    func readSubkeys(
        _ key: String, _ request: BackendRequest, _ schema: FieldSchema
    ) async throws(CoreError) -> Response? {
        let depth = try schema.int("depth", in: request.data) ?? 0
        let asked = try schema.int("version", in: request.data) ?? 0
        return try await readConsistently(key, request) { () async throws(CoreError) -> ReadAttempt in
            guard let metadata = try await loadMetadata(key, request.storage) else { throw EngineReply.notFound }
            let number = asked > 0 ? UInt64(asked) : metadata.currentVersion
            guard let version = metadata.version(number) else { throw EngineReply.notFound }
            let block = metadata.versionBlock(number, version)
            var data: [String: JSONValue] = ["subkeys": .null, "metadata": .object(block)]
            if version.isDeleted(at: Timestamp(request.now)) || version.destroyed {
                return .answer(EngineReply.logical(status: 404, data: data))
            }
            guard let stored = try await loadVersionIfPresent(key, number, request.storage) else { return .raced }
            data["subkeys"] = stored.data.map { .object(Self.subkeys(of: $0, depth: 1, maxDepth: depth)) } ?? .null
            return .answer(Response.data(data))
        }
    }

    /// Leaves become null; a non-empty object below `maxDepth` (0: no limit) is walked.
    static func subkeys(of object: [String: JSONValue], depth: Int64, maxDepth: Int64) -> [String: JSONValue] {
        object.mapValues { value in
            if case .object(let inner) = value, !inner.isEmpty, maxDepth <= 0 || depth + 1 <= maxDepth {
                return .object(subkeys(of: inner, depth: depth + 1, maxDepth: maxDepth))
            }
            return .null
        }
    }
}
