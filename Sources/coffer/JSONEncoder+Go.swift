/// Serialises `JSONValue` the way Go's `encoding/json` does, because that is what `vault`/`bao` print with
/// `-format=json`: two-space indentation (`MarshalIndent`), `<`, `>` and `&` escaped as `\u003c` and friends,
/// member order as given (callers sort maps with `sortedKeys()` where Go would).
enum GoJSON {
    /// Indented form, as `json.MarshalIndent(v, "", "  ")`.
    static func indented(_ value: JSONValue) -> String {
        var out = ""
        write(value, indent: "", pretty: true, into: &out)
        return out
    }

    /// Compact form, as `json.Marshal(v)`; used for request bodies.
    static func compact(_ value: JSONValue) -> String {
        var out = ""
        write(value, indent: "", pretty: false, into: &out)
        return out
    }

    private static func write(_ value: JSONValue, indent: String, pretty: Bool, into out: inout String) {
        switch value {
        case .null:
            out += "null"
        case .bool(let flag):
            out += flag ? "true" : "false"
        case .number(let text):
            out += text
        case .string(let text):
            writeString(text, into: &out)
        case .array(let items):
            if items.isEmpty {
                out += "[]"
                return
            }
            out += "["
            let inner = indent + "  "
            for (position, item) in items.enumerated() {
                if position > 0 {
                    out += ","
                }
                if pretty {
                    out += "\n" + inner
                }
                write(item, indent: inner, pretty: pretty, into: &out)
            }
            if pretty {
                out += "\n" + indent
            }
            out += "]"
        case .object(let object):
            if object.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            let inner = indent + "  "
            for (position, member) in object.members.enumerated() {
                if position > 0 {
                    out += ","
                }
                if pretty {
                    out += "\n" + inner
                }
                writeString(member.key, into: &out)
                out += pretty ? ": " : ":"
                write(member.value, indent: inner, pretty: pretty, into: &out)
            }
            if pretty {
                out += "\n" + indent
            }
            out += "}"
        }
    }

    private static let hexDigits = Array("0123456789abcdef")

    private static func writeString(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                out += unicodeEscape(scalar.value)
            default:
                if scalar.value < 0x20 {
                    out += unicodeEscape(scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    private static func unicodeEscape(_ value: UInt32) -> String {
        var escape = "\\u"
        for shift in stride(from: 12, through: 0, by: -4) {
            escape.append(hexDigits[Int((value >> UInt32(shift)) & 0xF)])
        }
        return escape
    }
}

extension JSONValue {
    /// The same value with every object's members sorted by key, recursively: how Go prints a
    /// `map[string]interface{}` it decoded.
    func sortedKeys() -> JSONValue {
        switch self {
        case .array(let items):
            return .array(items.map { $0.sortedKeys() })
        case .object(let object):
            return .object(JSONObject(object.sortedMembers.map { ($0.key, $0.value.sortedKeys()) }))
        default:
            return self
        }
    }
}
