import HCL

extension Policy {
    static let topLevelKeys: Set<String> = ["name", "path"]

    /// Keys Coffer understands inside a `path` stanza.
    static let pathKeys: Set<String> = [
        "comment", "policy", "capabilities", "allowed_parameters", "denied_parameters", "required_parameters",
        "min_wrapping_ttl", "max_wrapping_ttl",
    ]

    /// Keys OpenBao accepts that would restrict access in ways Coffer does not implement. Accepting and ignoring
    /// them would silently grant more than the author meant, so they are refused by name.
    static let unsupportedPathKeys: Set<String> = [
        "mfa_methods", "control_group", "expiration", "pagination_limit", "list_scan_response_keys_filter_path",
    ]

    /// Parses a policy document in HCL or JSON (JSON when it starts with `{`).
    ///
    /// - Parameters:
    ///   - name: the policy's name; it wins over a `name = "..."` inside the text, as with Vault's API.
    ///   - text: the policy document.
    public static func parse(name: String, text: String) throws(PolicyError) -> Policy {
        let body: HCLBody
        do {
            body = try HCLParser.parseDocument(text)
        } catch {
            throw PolicyError(error)
        }
        return try parse(name: name, body: body)
    }

    /// Builds a policy from an already parsed document.
    public static func parse(name: String, body: HCLBody) throws(PolicyError) -> Policy {
        do {
            try body.checkKeys(allowed: topLevelKeys)
            _ = try body.string("name")
        } catch {
            throw PolicyError(error)
        }
        var rules: [PathRule] = []
        for block in body.blocks(named: "path") {
            rules.append(try parseRule(block))
        }
        // `path = "x"` is neither a block nor an object; blocks(named:) skips it, so report it here.
        if let stray = body.attributes(named: "path").first(where: { $0.value.objectValue == nil }) {
            throw PolicyError(at: stray.position, "path must be a block: path \"<pattern>\" { capabilities = [...] }")
        }
        return Policy(name: name, rules: rules)
    }

    private static func parseRule(_ block: HCLBlock) throws(PolicyError) -> PathRule {
        // OpenBao uses the first label as the pattern and ignores the rest; with no label at all the pattern
        // is the literal word "path". Odd, but accepted documents must mean the same thing here.
        var pattern = block.labels.first ?? "path"
        let body = block.body
        let quoted = "path \"\(pattern)\""
        for item in body.items where !pathKeys.contains(item.key) {
            if unsupportedPathKeys.contains(item.key) {
                throw PolicyError(at: item.position, "\(quoted): \(item.key) is not supported by Coffer")
            }
            throw PolicyError(at: item.position, "\(quoted): invalid key \"\(item.key)\"")
        }
        if pattern.hasPrefix("/") { pattern.removeFirst() }
        if pattern.contains("+*") {
            throw PolicyError(at: block.position, "\(quoted): invalid use of wildcards ('+*' is forbidden)")
        }
        var rule = PathRule(pattern: pattern, capabilities: [], position: block.position)
        do {
            rule.comment = body.attribute(named: "comment").map(\.value.scalarText)
            rule.legacyPolicy = try body.string("policy")
            let written = try body.stringList("capabilities") ?? []
            rule.capabilities = try capabilities(written: written, legacy: rule.legacyPolicy, in: body, quoted)
            rule.requiredParameters = try body.stringList("required_parameters") ?? []
            rule.allowedParameters = try constraints("allowed_parameters", in: body)
            rule.deniedParameters = try constraints("denied_parameters", in: body)
        } catch let error as HCLError {
            throw PolicyError(at: error.position, "\(quoted): \(error.message)")
        } catch let error as PolicyError {
            throw error
        } catch {
            throw PolicyError(at: block.position, "\(quoted): \(error)")
        }
        rule.minWrappingTTL = try wrappingTTL("min_wrapping_ttl", in: body, quoted)
        rule.maxWrappingTTL = try wrappingTTL("max_wrapping_ttl", in: body, quoted)
        if let low = rule.minWrappingTTL, let high = rule.maxWrappingTTL, low != .zero, high != .zero, high < low {
            throw PolicyError(at: block.position, "\(quoted): max_wrapping_ttl cannot be less than min_wrapping_ttl")
        }
        return rule
    }

    /// Vault's rules: the legacy shorthand expands to capabilities (`deny` replaces them); `deny` anywhere makes
    /// the rule deny-only and ends validation of the list there.
    private static func capabilities(
        written: [String], legacy: String?, in body: HCLBody, _ quoted: String
    ) throws(PolicyError) -> Set<Capability> {
        var names = written
        if let legacy {
            switch legacy {
            case "deny": names = ["deny"]
            case "read": names += ["read", "list"]
            case "write": names += ["create", "read", "update", "delete", "list"]
            case "sudo": names += ["create", "read", "update", "delete", "list", "sudo"]
            default:
                let position = body.attribute(named: "policy")?.value.position ?? SourcePosition(line: 0, column: 0)
                throw PolicyError(at: position, "\(quoted): invalid policy \"\(legacy)\"")
            }
        }
        var result: Set<Capability> = []
        for name in names {
            guard let capability = Capability(rawValue: name) else {
                let position = capabilityPosition(name, in: body)
                throw PolicyError(at: position, "\(quoted): invalid capability \"\(name)\"")
            }
            if capability == .deny { return [.deny] }
            result.insert(capability)
        }
        return result
    }

    private static func capabilityPosition(_ name: String, in body: HCLBody) -> SourcePosition {
        let list = body.attribute(named: "capabilities")
        let element = list?.value.listValue?.first { $0.stringValue == name }
        return element?.position ?? list?.position ?? SourcePosition(line: 0, column: 0)
    }

    /// `allowed_parameters = { "name" = [values] }` (or the block form); names are lower-cased like Vault does.
    private static func constraints(_ key: String, in body: HCLBody) throws(HCLError) -> [ParameterConstraint] {
        if let attribute = body.attribute(named: key), attribute.value.objectValue == nil {
            throw HCLError(at: attribute.value.position,
                           "\(key) must be an object mapping parameter names to lists of values")
        }
        var result: [ParameterConstraint] = []
        for block in body.blocks(named: key) {
            if !block.labels.isEmpty {
                throw HCLError(at: block.position, "\(key) must be an object mapping parameter names to lists")
            }
            for item in block.body.items {
                guard case .attribute(let attribute) = item else {
                    throw HCLError(at: item.position, "\(key): \"\(item.key)\" must map to a list of values")
                }
                guard let values = attribute.value.listValue else {
                    throw HCLError(at: attribute.value.position,
                                   "\(key): \"\(attribute.key)\" must map to a list of values")
                }
                result.append(ParameterConstraint(name: attribute.key.lowercased(), values: values))
            }
        }
        return result
    }

    private static func wrappingTTL(
        _ key: String, in body: HCLBody, _ quoted: String
    ) throws(PolicyError) -> Duration? {
        guard let attribute = body.attribute(named: key) else { return nil }
        let value = attribute.value
        switch value.kind {
        case .number(.int(let seconds)) where seconds >= 0:
            return .seconds(seconds)
        case .string(let text):
            guard let duration = VaultDuration.parse(text) else {
                throw PolicyError(at: value.position, "\(quoted): error parsing \(key): invalid duration \"\(text)\"")
            }
            return duration
        default:
            throw PolicyError(at: value.position,
                              "\(quoted): error parsing \(key): expected seconds or a duration string, found \(value)")
        }
    }
}

extension HCLValue {
    /// A string's text, or how a number, bool or other value reads, for free-text fields such as `comment`.
    fileprivate var scalarText: String {
        if case .string(let text) = kind { return text }
        return description
    }
}
