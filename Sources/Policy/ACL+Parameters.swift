import HCL

extension ACL {
    /// The full request check, as OpenBao's ACL does it: the chosen pattern must hold the operation's
    /// capability (and not `deny`); wrapping bounds must hold (a `max_wrapping_ttl` requires the response to be
    /// wrapped); for create, read, update and patch, required parameters must be present, no parameter may hit
    /// `denied_parameters`, and when `allowed_parameters` is set every parameter must be allowed.
    ///
    /// - Parameters:
    ///   - parameters: the request body's top-level fields, as sent (names are lower-cased for lookups only).
    ///   - wrapTTL: the requested response-wrapping TTL, if the response is to be wrapped.
    ///
    /// Values match a listed value when both are strings and the listed one matches as a glob (`*` at the
    /// start and/or end), when both are null, or when they are equal bools, lists or objects. A number in the
    /// request never matches a listed value: OpenBao keeps request numbers as JSON numbers, which never compare
    /// equal to policy values, and Coffer keeps that (recorded) behaviour rather than being more permissive.
    public func allows(
        operation: Operation, path: String, parameters: [String: HCLValue], wrapTTL: Duration?
    ) -> Bool {
        if isRoot { return true }
        guard let match = match(for: path, operation: operation),
              !match.capabilities.contains(.deny), match.capabilities.contains(operation.capability) else {
            return false
        }
        if let max = match.maxWrappingTTL {
            guard let wrapTTL, wrapTTL <= max else { return false }
        }
        if let min = match.minWrappingTTL {
            guard let wrapTTL, wrapTTL >= min else { return false }
        }
        if let min = match.minWrappingTTL, let max = match.maxWrappingTTL, max < min { return false }
        switch operation {
        case .create, .read, .update, .patch:
            return Self.parametersAllowed(parameters, by: match)
        case .delete, .list:
            return true
        }
    }

    private static func parametersAllowed(_ parameters: [String: HCLValue], by match: Match) -> Bool {
        for name in match.requiredParameters where parameters[name.lowercased()] == nil {
            return false
        }
        if parameters.isEmpty { return true }
        if !match.deniedParameters.isEmpty {
            if match.deniedParameters["*"] != nil { return false }
            for (name, value) in parameters {
                if let listed = match.deniedParameters[name.lowercased()], valueIsListed(value, in: listed) {
                    return false
                }
            }
        }
        let allowed = match.allowedParameters
        if allowed.isEmpty { return true }
        let allowsAny = allowed["*"] != nil
        if allowed.count == 1 && allowsAny { return true }
        for (name, value) in parameters {
            if let listed = allowed[name.lowercased()] {
                if !valueIsListed(value, in: listed) { return false }
            } else if !allowsAny {
                return false
            }
        }
        return true
    }

    /// An empty list lists every value.
    static func valueIsListed(_ value: HCLValue, in listed: [HCLValue]) -> Bool {
        if listed.isEmpty { return true }
        return listed.contains { entry in
            switch (entry.kind, value.kind) {
            case (.null, _), (_, .null):
                return entry.kind == value.kind
            case (.string(let pattern), .string(let text)):
                return globMatches(pattern, text)
            case (_, .number):
                return false
            default:
                return entry.kind == value.kind
            }
        }
    }

    /// Vault's parameter globs: `*` only at the start and/or end of the listed value.
    static func globMatches(_ pattern: String, _ text: String) -> Bool {
        guard pattern.count >= 2 else { return pattern == text }
        switch (pattern.hasPrefix("*"), pattern.hasSuffix("*")) {
        case (true, true): return text.contains(pattern.dropFirst().dropLast())
        case (true, false): return text.hasSuffix(pattern.dropFirst())
        case (false, true): return text.hasPrefix(pattern.dropLast())
        case (false, false): return pattern == text
        }
    }
}
