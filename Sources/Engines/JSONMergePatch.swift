import Core

/// RFC 7396 JSON merge patch, as OpenBao applies it to KV v2 data and metadata: objects
/// merge recursively, `null` removes a member, anything else replaces.
enum JSONMergePatch {
    static func apply(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard case .object(let members) = patch else { return patch }
        var result = target.objectValue ?? [:]
        for (name, value) in members {
            if value == .null {
                result[name] = nil
            } else {
                result[name] = apply(value, to: result[name] ?? .null)
            }
        }
        return .object(result)
    }
}
