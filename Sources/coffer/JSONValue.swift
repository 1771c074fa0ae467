/// A JSON document as the CLI sees it: object keys keep the order the server sent them in, and numbers keep
/// their literal text, so that a value is printed exactly as it arrived (as Vault's Go client does with
/// `json.Number`), never rounded through a `Double`.
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's literal text, as it appeared in the document.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The value of `key` when this is an object, otherwise `nil`.
    subscript(key: String) -> JSONValue? {
        if case .object(let object) = self {
            return object[key]
        }
        return nil
    }

    var stringValue: String? {
        if case .string(let text) = self {
            return text
        }
        return nil
    }

    var boolValue: Bool? {
        if case .bool(let flag) = self {
            return flag
        }
        return nil
    }

    /// The value as a whole number, when it is a number without a fraction.
    var intValue: Int? {
        if case .number(let text) = self {
            return Int(text)
        }
        return nil
    }

    var objectValue: JSONObject? {
        if case .object(let object) = self {
            return object
        }
        return nil
    }

    var arrayValue: [JSONValue]? {
        if case .array(let items) = self {
            return items
        }
        return nil
    }

    var isNull: Bool {
        self == .null
    }
}
