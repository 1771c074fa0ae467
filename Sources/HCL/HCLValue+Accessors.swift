/// Typed views of a value. The optional properties never throw; the `for key:` methods throw an `HCLError`
/// at the value's position naming the key and the type that was expected.
extension HCLValue {
    public var stringValue: String? {
        if case .string(let text) = kind { return text }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let flag) = kind { return flag }
        return nil
    }

    public var intValue: Int? {
        switch kind {
        case .number(.int(let value)): return value
        case .number(.float(let value)):
            guard value.rounded() == value, let exact = Int(exactly: value) else { return nil }
            return exact
        default: return nil
        }
    }

    public var doubleValue: Double? {
        if case .number(let number) = kind { return number.doubleValue }
        return nil
    }

    public var listValue: [HCLValue]? {
        if case .list(let values) = kind { return values }
        return nil
    }

    public var objectValue: HCLBody? {
        if case .object(let body) = kind { return body }
        return nil
    }

    private func mismatch(_ key: String, _ expected: String) -> HCLError {
        HCLError(at: position, "\(key) must be \(expected), found \(typeName)")
    }

    public func string(for key: String) throws(HCLError) -> String {
        guard let text = stringValue else { throw mismatch(key, "a string") }
        return text
    }

    public func bool(for key: String) throws(HCLError) -> Bool {
        switch kind {
        case .bool(let flag):
            return flag
        case .string(let text):
            switch text.lowercased() {
            case "true", "t", "1": return true
            case "false", "f", "0": return false
            default: throw HCLError(at: position, "\(key) must be a bool or a string holding one, found \"\(text)\"")
            }
        case .number(.int(let value)) where value == 0 || value == 1:
            return value == 1
        default:
            throw mismatch(key, "a bool or a string holding one")
        }
    }

    public func int(for key: String) throws(HCLError) -> Int {
        if let value = intValue { return value }
        if let text = stringValue {
            guard let value = Int(text.trimmingSpaces) else {
                throw HCLError(at: position, "\(key) must be an integer, found \"\(text)\"")
            }
            return value
        }
        throw mismatch(key, "an integer or a string holding one")
    }

    public func double(for key: String) throws(HCLError) -> Double {
        if let value = doubleValue { return value }
        if let text = stringValue {
            guard let value = Double(text.trimmingSpaces), value.isFinite else {
                throw HCLError(at: position, "\(key) must be a number, found \"\(text)\"")
            }
            return value
        }
        throw mismatch(key, "a number or a string holding one")
    }

    /// A list whose elements are all strings. A single string is not accepted as a one-element list.
    public func stringList(for key: String) throws(HCLError) -> [String] {
        guard let values = listValue else { throw mismatch(key, "a list of strings") }
        var strings: [String] = []
        for element in values {
            guard let text = element.stringValue else {
                throw HCLError(at: element.position,
                               "\(key) must be a list of strings, found a \(element.typeName) in it")
            }
            strings.append(text)
        }
        return strings
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
