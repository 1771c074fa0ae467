/// Lookups for consumers that decode configs and policies from a body.
///
/// HCL1 gives `key { ... }` and `key = { ... }` the same meaning, so `blocks(named:)` returns both, in source
/// order. Typed getters throw `HCLError`s that name the key and its position, e.g.
/// `line 3, column 5: tls_disable must be a bool or a string, found list`.
extension HCLBody {
    /// All attributes, in source order.
    public var attributes: [HCLAttribute] {
        items.compactMap { item in
            if case .attribute(let attribute) = item { return attribute }
            return nil
        }
    }

    /// All blocks written with braces directly after their labels, in source order.
    public var blocks: [HCLBlock] {
        items.compactMap { item in
            if case .block(let block) = item { return block }
            return nil
        }
    }

    public var isEmpty: Bool { items.isEmpty }

    /// Every attribute with this key, in source order.
    public func attributes(named key: String) -> [HCLAttribute] {
        attributes.filter { $0.key == key }
    }

    /// The attribute with this key; when it is repeated, the last one, since a later assignment overrides.
    public func attribute(named key: String) -> HCLAttribute? {
        attributes.last { $0.key == key }
    }

    /// Blocks of this type, plus `key = { ... }` attributes presented as label-less blocks, in source order.
    public func blocks(named type: String) -> [HCLBlock] {
        items.compactMap { item in
            switch item {
            case .block(let block) where block.type == type:
                return block
            case .attribute(let attribute) where attribute.key == type:
                if case .object(let body) = attribute.value.kind {
                    return HCLBlock(type: type, labels: [], body: body, at: attribute.position)
                }
                return nil
            default:
                return nil
            }
        }
    }

    /// Throws for the first item whose key is not in `allowed`: `invalid key "foo"` at that item.
    public func checkKeys(allowed: Set<String>) throws(HCLError) {
        for item in items where !allowed.contains(item.key) {
            throw HCLError(at: item.position, "invalid key \"\(item.key)\"")
        }
    }

    /// Throws if the key is written as a block where a value is expected.
    private func valueAttribute(_ key: String) throws(HCLError) -> HCLAttribute? {
        if let item = items.last(where: { $0.key == key }), case .block(let block) = item {
            throw HCLError(at: block.position, "\(key) must be a value assigned with '=', not a block")
        }
        return attribute(named: key)
    }

    /// A string value, or nil when the key is absent.
    public func string(_ key: String) throws(HCLError) -> String? {
        guard let attribute = try valueAttribute(key) else { return nil }
        return try attribute.value.string(for: key)
    }

    /// A bool, also accepting the strings Vault accepts (`"true"`, `"false"`, `"1"`, `"0"`, ...) and 0/1.
    public func bool(_ key: String) throws(HCLError) -> Bool? {
        guard let attribute = try valueAttribute(key) else { return nil }
        return try attribute.value.bool(for: key)
    }

    /// An integer, also accepting a string holding one.
    public func int(_ key: String) throws(HCLError) -> Int? {
        guard let attribute = try valueAttribute(key) else { return nil }
        return try attribute.value.int(for: key)
    }

    /// A number, also accepting a string holding one.
    public func double(_ key: String) throws(HCLError) -> Double? {
        guard let attribute = try valueAttribute(key) else { return nil }
        return try attribute.value.double(for: key)
    }

    /// A list of strings, or nil when the key is absent.
    public func stringList(_ key: String) throws(HCLError) -> [String]? {
        guard let attribute = try valueAttribute(key) else { return nil }
        return try attribute.value.stringList(for: key)
    }

    /// The body of `key = { ... }` or of a single label-less `key { ... }` block, or nil when absent.
    public func object(_ key: String) throws(HCLError) -> HCLBody? {
        if let attribute = attribute(named: key), attribute.value.objectValue == nil {
            throw HCLError(at: attribute.value.position, "\(key) must be an object, found \(attribute.value.typeName)")
        }
        guard let last = blocks(named: key).last else { return nil }
        if !last.labels.isEmpty {
            throw HCLError(at: last.position, "\(key) must be an object without labels")
        }
        return last.body
    }
}
