/// Typed access to request fields with Vault-shaped errors for the wrong JSON type.
extension Request {
    func int(_ key: String, default defaultValue: Int, struct structName: String) throws(CoreError) -> Int {
        switch data[key] {
        case nil, .null?:
            return defaultValue
        case .int(let value)?:
            guard let result = Int(exactly: value) else { throw typeError(key, "number", structName, "int") }
            return result
        case .double(let value)?:
            guard let result = Int(exactly: value) else { throw typeError(key, "number", structName, "int") }
            return result
        case .string(let text)?:
            // Vault's field decoder accepts numbers written as strings on logical paths.
            guard let result = Int(text) else { throw typeError(key, "string", structName, "int") }
            return result
        case let other?:
            throw typeError(key, other.typeName, structName, "int")
        }
    }

    func bool(_ key: String, struct structName: String) throws(CoreError) -> Bool {
        switch data[key] {
        case nil, .null?: return false
        case .bool(let value)?: return value
        case let other?: throw typeError(key, other.typeName, structName, "bool")
        }
    }

    func string(_ key: String, struct structName: String) throws(CoreError) -> String? {
        switch data[key] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        case let other?: throw typeError(key, other.typeName, structName, "string")
        }
    }

    /// A status-code override from the query string (`sys/health?sealedcode=200`).
    func queryCode(_ key: String, default defaultValue: Int) throws(CoreError) -> Int {
        guard let text = query[key] else { return defaultValue }
        guard let code = Int(text), (100...599).contains(code) else {
            throw CoreError.badRequest("unable to parse \(key): invalid status code \"\(text)\"")
        }
        return code
    }

    private func typeError(_ key: String, _ got: String, _ structName: String, _ want: String) -> CoreError {
        CoreError.badRequest(
            "failed to decode JSON input: json: cannot unmarshal \(got) into Go struct field "
                + "\(structName).\(key) of type \(want)")
    }
}
