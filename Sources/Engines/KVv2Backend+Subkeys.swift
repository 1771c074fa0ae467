import Core

/// `subkeys/<key>`: the shape of a version's data with every leaf replaced by null, down
/// to an optional depth.
extension KVv2Backend {
    func readSubkeys(_ key: String, _ request: BackendRequest, _ schema: FieldSchema) async throws(CoreError)
        -> Response?
    {
        let depth = try schema.int("depth", in: request.data) ?? 0
        guard let metadata = try await loadMetadata(key, request.storage) else { return nil }
        var number = metadata.currentVersion
        if let asked = try schema.int("version", in: request.data), asked > 0 { number = UInt64(asked) }
        guard let version = metadata.version(number) else { return nil }
        var data: [String: JSONValue] = ["subkeys": .null, "metadata": .object(metadata.versionBlock(number, version))]
        if version.isDeleted(at: Timestamp(request.now)) || version.destroyed {
            return EngineReply.logical(status: 404, data: data)
        }
        let stored = try await loadVersion(key, number, request.storage)
        data["subkeys"] = stored.data.map { .object(Self.subkeys(of: $0, depth: 1, maxDepth: depth)) } ?? .null
        return Response.data(data)
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
