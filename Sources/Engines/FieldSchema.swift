import Core

/// The fields a path accepts, and typed, validated access to a request's values for them.
struct FieldSchema: Sendable {
    var fields: [String: FieldKind]
    /// Whether the path has an existence check: OpenBao validates create/update requests
    /// of such paths during the check and words the error without its usual prefix.
    var hasExistenceCheck: Bool

    init(_ fields: [String: FieldKind], existenceCheck: Bool) {
        self.fields = fields
        self.hasExistenceCheck = existenceCheck
    }

    /// Checks every known field of `data` converts to its type; the first failure (in
    /// key order) becomes a 400 worded as OpenBao words it.
    func validate(_ data: [String: JSONValue], operation: Operation) throws(CoreError) {
        for key in data.keys.sorted() {
            guard let kind = fields[key], let value = data[key] else { continue }
            if case .failure(let error) = Self.decode(value, as: kind) {
                let message = "error converting input for field \"\(key)\": \(error.message)"
                let bare = hasExistenceCheck && [.create, .update].contains(operation)
                throw CoreError.badRequest(bare ? message : "Field validation failed: " + message)
            }
        }
    }

    /// The framework's warnings for a successful response: parameters the path does
    /// not know, and parameters overridden by the path itself.
    func warnings(for data: [String: JSONValue], operation: Operation) -> [String] {
        var ignored = data.keys.filter { fields[$0] == nil }
        if operation == .list { ignored.removeAll { $0 == "list" } }
        var warnings: [String] = []
        if !ignored.isEmpty {
            warnings.append(
                "Endpoint ignored these unrecognized parameters: [\(ignored.sorted().joined(separator: " "))]")
        }
        if fields["path"] != nil, let value = data["path"], value != .null {
            warnings.append(
                "Endpoint replaced the value of these parameters with the values captured from the "
                    + "endpoint's path: [path]")
        }
        return warnings
    }

    // MARK: decoding

    enum Decoded: Sendable, Equatable {
        case string(String)
        case int(Int64)
        case bool(Bool)
        case map([String: JSONValue])
        case ints([Int64])
    }

    static func decode(_ value: JSONValue, as kind: FieldKind) -> Result<Decoded, FieldError> {
        switch kind {
        case .string: weakString(value).map(Decoded.string)
        case .int: weakInt(value, name: "").map(Decoded.int)
        case .bool: weakBool(value).map(Decoded.bool)
        case .map: weakMap(value).map(Decoded.map)
        case .durationSecond, .signedDurationSecond:
            GoDuration.parseSeconds(value).flatMap { nanos -> Result<Decoded, FieldError> in
                let seconds = nanos / 1_000_000_000
                if kind == .durationSecond && seconds < 0 {
                    return .failure(FieldError("cannot provide negative value '\(seconds)'"))
                }
                return .success(.int(seconds))
            }
        case .commaIntSlice: commaInts(value).map(Decoded.ints)
        }
    }

    /// Go's name of the dynamic type a JSON value decodes to.
    static func goTypeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "<nil>"
        case .bool: "bool"
        case .int, .double: "json.Number"
        case .string: "string"
        case .array: "[]interface {}"
        case .object: "map[string]interface {}"
        }
    }

    static func weakInt(_ value: JSONValue, name: String) -> Result<Int64, FieldError> {
        let syntax = FieldError("'\(name)' cannot parse value as 'int': strconv.ParseInt: invalid syntax")
        switch value {
        case .null: return .success(0)
        case .int(let number): return .success(number)
        case .double:
            // A JSON number with a fraction or exponent fails Go's json.Number.Int64().
            return .failure(syntax)
        case .bool(let flag): return .success(flag ? 1 : 0)
        case .string(let text):
            if text.isEmpty { return .success(0) }
            if let number = Int64(text) { return .success(number) }
            let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : Substring(text)
            if !digits.isEmpty && digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
                return .failure(
                    FieldError("'\(name)' cannot parse value as 'int': strconv.ParseInt: value out of range"))
            }
            return .failure(syntax)
        case .array, .object:
            return .failure(FieldError("'\(name)' expected type 'int', got unconvertible type '\(goTypeName(value))'"))
        }
    }

    static func weakBool(_ value: JSONValue) -> Result<Bool, FieldError> {
        switch value {
        case .null: return .success(false)
        case .bool(let flag): return .success(flag)
        case .int(let number): return .success(number != 0)
        case .double(let number): return .success(number != 0)
        case .string(let text):
            switch text {
            case "": return .success(false)
            case "1", "t", "T", "TRUE", "true", "True": return .success(true)
            case "0", "f", "F", "FALSE", "false", "False": return .success(false)
            default: return .failure(FieldError("'' cannot parse value as 'bool': strconv.ParseBool: invalid syntax"))
            }
        case .array, .object:
            return .failure(FieldError("'' expected type 'bool', got unconvertible type '\(goTypeName(value))'"))
        }
    }

    static func weakString(_ value: JSONValue) -> Result<String, FieldError> {
        switch value {
        case .null: return .success("")
        case .string(let text): return .success(text)
        case .int(let number): return .success(String(number))
        case .double(let number): return .success(goFloatString(number))
        case .bool(let flag): return .success(flag ? "1" : "0")
        case .array, .object:
            return .failure(FieldError("'' expected type 'string', got unconvertible type '\(goTypeName(value))'"))
        }
    }

    static func weakMap(_ value: JSONValue) -> Result<[String: JSONValue], FieldError> {
        switch value {
        case .null: return .success([:])
        case .object(let object): return .success(object)
        case .array(let elements):
            // Weak decoding merges a list of maps into one map.
            var merged: [String: JSONValue] = [:]
            for (index, element) in elements.enumerated() {
                guard case .object(let object) = element else {
                    return .failure(
                        FieldError(
                            "'[\(index)]' expected type 'map[string]interface {}', "
                                + "got unconvertible type '\(goTypeName(element))'"))
                }
                merged.merge(object) { _, new in new }
            }
            return .success(merged)
        default:
            return .failure(
                FieldError(
                    "'' expected type 'map[string]interface {}', got unconvertible type '\(goTypeName(value))'"))
        }
    }

    static func commaInts(_ value: JSONValue) -> Result<[Int64], FieldError> {
        let elements: [JSONValue]
        switch value {
        case .null: return .success([])
        case .string(let text):
            elements =
                text.isEmpty
                ? []
                : text.split(separator: ",", omittingEmptySubsequences: false).map {
                    .string(String($0))
                }
        case .array(let list): elements = list
        default: elements = [value]
        }
        var result: [Int64] = []
        for (index, element) in elements.enumerated() {
            switch weakInt(element, name: "[\(index)]") {
            case .success(let number): result.append(number)
            case .failure(let error):
                return .failure(FieldError("decoding failed due to the following error(s):\n\n" + error.message))
            }
        }
        return .success(result)
    }

    /// Go's `strconv.FormatFloat(f, 'f', -1, 64)` for the values JSON carries.
    static func goFloatString(_ number: Double) -> String {
        if let whole = Int64(exactly: number) { return String(whole) }
        var text = "\(number)"
        if text.contains("e") {
            // Swift prints large or tiny values in exponent form; Go's 'f' never does.
            text = String(describing: PlainDecimal(number))
        }
        return text
    }
}

/// Prints a double without an exponent, shortest round-trip digits.
private struct PlainDecimal: CustomStringConvertible {
    var value: Double

    init(_ value: Double) {
        self.value = value
    }

    var description: String {
        let parts = "\(value)".split(separator: "e")
        guard parts.count == 2, let exponent = Int(parts[1]) else { return "\(value)" }
        var mantissa = String(parts[0])
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa.removeFirst() }
        let pieces = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let integer = String(pieces[0])
        let fraction = pieces.count > 1 ? String(pieces[1]) : ""
        var digits = integer + fraction
        var point = integer.count + exponent
        if point <= 0 {
            digits = String(repeating: "0", count: -point + 1) + digits
            point = 1
        } else if point > digits.count {
            digits += String(repeating: "0", count: point - digits.count)
        }
        let head = digits.prefix(point)
        var tail = String(digits.dropFirst(point))
        while tail.hasSuffix("0") { tail.removeLast() }
        return (negative ? "-" : "") + head + (tail.isEmpty ? "" : "." + tail)
    }
}
