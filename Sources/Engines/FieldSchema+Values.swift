import Core

/// Typed reads of request fields after ``FieldSchema/validate(_:operation:)`` passed.
/// A value that does not decode (which validation rules out) reads as a 400, never a trap.
extension FieldSchema {
    /// Whether the request carries the field at all (even as `null`), like Go's `GetOk`.
    func has(_ key: String, in data: [String: JSONValue]) -> Bool {
        fields[key] != nil && data[key] != nil
    }

    func int(_ key: String, in data: [String: JSONValue]) throws(CoreError) -> Int64? {
        guard let value = data[key] else { return nil }
        switch try decoded(key, value) {
        case .int(let number): return number
        default: return nil
        }
    }

    func bool(_ key: String, in data: [String: JSONValue]) throws(CoreError) -> Bool? {
        guard let value = data[key] else { return nil }
        switch try decoded(key, value) {
        case .bool(let flag): return flag
        default: return nil
        }
    }

    func string(_ key: String, in data: [String: JSONValue]) throws(CoreError) -> String? {
        guard let value = data[key] else { return nil }
        switch try decoded(key, value) {
        case .string(let text): return text
        default: return nil
        }
    }

    func map(_ key: String, in data: [String: JSONValue]) throws(CoreError) -> [String: JSONValue]? {
        guard let value = data[key] else { return nil }
        switch try decoded(key, value) {
        case .map(let object): return object
        default: return nil
        }
    }

    func ints(_ key: String, in data: [String: JSONValue]) throws(CoreError) -> [Int64] {
        guard let value = data[key] else { return [] }
        switch try decoded(key, value) {
        case .ints(let list): return list
        default: return []
        }
    }

    private func decoded(_ key: String, _ value: JSONValue) throws(CoreError) -> Decoded {
        guard let kind = fields[key] else { throw CoreError.badRequest("unknown field: \"\(key)\"") }
        switch Self.decode(value, as: kind) {
        case .success(let result): return result
        case .failure(let error):
            throw CoreError.badRequest("error converting input for field \"\(key)\": \(error.message)")
        }
    }
}
