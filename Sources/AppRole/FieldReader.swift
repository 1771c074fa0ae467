import Core

/// Reads typed fields from a request body the way OpenBao's `framework.FieldData` does:
/// weakly typed (numbers written as strings are numbers, `"true"` is a bool), with its
/// error wording. A value type over the request's data; it keeps no state.
struct FieldReader {
    let data: [String: JSONValue]
    /// Put in front of every conversion error: `"Field validation failed: "` where OpenBao
    /// validates before the handler runs, empty on paths with an existence check.
    let errorPrefix: String

    init(_ data: [String: JSONValue], errorPrefix: String = "Field validation failed: ") {
        self.data = data
        self.errorPrefix = errorPrefix
    }

    /// Whether the field was sent (a JSON null counts as not sent).
    func has(_ key: String) -> Bool {
        switch data[key] {
        case nil, .null?: false
        default: true
        }
    }

    func string(_ key: String) throws(CoreError) -> String? {
        guard let value = present(key) else { return nil }
        switch value {
        case .string(let text): return text
        case .int(let number): return String(number)
        case .double(let number): return Self.numberText(number)
        case .bool(let flag): return flag ? "1" : "0"
        default: throw failure(key, "'' expected type 'string', got unconvertible type '\(Self.goType(value))'")
        }
    }

    func int(_ key: String) throws(CoreError) -> Int? {
        guard let value = present(key) else { return nil }
        let syntax = "'' cannot parse value as 'int': strconv.ParseInt: invalid syntax"
        switch value {
        case .int(let number):
            guard let result = Int(exactly: number) else { throw failure(key, syntax) }
            return result
        case .double(let number):
            guard number.rounded() == number, let result = Int(exactly: number) else { throw failure(key, syntax) }
            return result
        case .string(let text):
            if text.isEmpty { return 0 }
            guard let result = Int(text) else { throw failure(key, syntax) }
            return result
        case .bool(let flag): return flag ? 1 : 0
        default: throw failure(key, unconvertible(value, to: "int"))
        }
    }

    func bool(_ key: String) throws(CoreError) -> Bool? {
        guard let value = present(key) else { return nil }
        switch value {
        case .bool(let flag): return flag
        case .int(let number): return number != 0
        case .double(let number): return number != 0
        case .string(let text):
            switch text {
            case "1", "t", "T", "TRUE", "true", "True": return true
            case "0", "f", "F", "FALSE", "false", "False", "": return false
            default: throw failure(key, "'' cannot parse value as 'bool': strconv.ParseBool: invalid syntax")
            }
        default: throw failure(key, unconvertible(value, to: "bool"))
        }
    }

    /// A duration field, answered in whole seconds.
    func seconds(_ key: String) throws(CoreError) -> Int64? {
        guard let value = present(key) else { return nil }
        switch value {
        case .int(let number): return number
        case .double(let number):
            guard number.rounded() == number, let whole = Int64(exactly: number) else {
                throw failure(key, "time: missing unit in duration \"\(Self.numberText(number))\"")
            }
            return whole
        case .string(let text):
            do {
                return try GoDuration.seconds(from: text)
            } catch {
                throw failure(key, error.message)
            }
        default: throw failure(key, "could not parse duration from input")
        }
    }

    /// OpenBao's `TypeCommaStringSlice`: a comma-separated string (items trimmed) or an
    /// array of scalars; any other single value counts as a one-element array.
    func commaStrings(_ key: String) throws(CoreError) -> [String]? {
        guard let value = present(key) else { return nil }
        if case .string(let text) = value {
            if text.isEmpty { return [] }
            return text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces() }
        }
        let items: [JSONValue]
        if case .array(let array) = value { items = array } else { items = [value] }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            switch item {
            case .string(let text): result.append(text)
            case .int(let number): result.append(String(number))
            case .double(let number): result.append(Self.numberText(number))
            case .bool(let flag): result.append(flag ? "1" : "0")
            default:
                throw failure(
                    key,
                    "1 error(s) decoding:\n\n* '[\(index)]' expected type 'string', got unconvertible type "
                        + "'\(Self.goType(item))', value: '\(Self.goText(item))'")
            }
        }
        return result
    }

    private func present(_ key: String) -> JSONValue? {
        switch data[key] {
        case nil, .null?: nil
        case let value?: value
        }
    }

    private func failure(_ key: String, _ message: String) -> CoreError {
        .badRequest("\(errorPrefix)error converting input for field \"\(key)\": \(message)")
    }

    private func unconvertible(_ value: JSONValue, to type: String) -> String {
        "'' expected type '\(type)', got unconvertible type '\(Self.goType(value))', value: '\(Self.goText(value))'"
    }

    /// The Go type `encoding/json` decodes a value into, as mapstructure names it.
    static func goType(_ value: JSONValue) -> String {
        switch value {
        case .null: "<nil>"
        case .bool: "bool"
        case .int, .double: "json.Number"
        case .string: "string"
        case .array: "[]interface {}"
        case .object: "map[string]interface {}"
        }
    }

    /// Go's `%v` of a decoded JSON value (`map[a:1]`, `[x y]`).
    static func goText(_ value: JSONValue) -> String {
        switch value {
        case .null: "<nil>"
        case .bool(let flag): flag ? "true" : "false"
        case .int(let number): String(number)
        case .double(let number): numberText(number)
        case .string(let text): text
        case .array(let items): "[" + items.map(goText).joined(separator: " ") + "]"
        case .object(let members):
            "map[" + members.keys.sorted().map { "\($0):\(goText(members[$0] ?? .null))" }.joined(separator: " ") + "]"
        }
    }

    private static func numberText(_ number: Double) -> String {
        if number.rounded() == number, let whole = Int64(exactly: number) { return String(whole) }
        return String(number)
    }
}
