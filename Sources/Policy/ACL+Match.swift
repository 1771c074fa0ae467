import HCL

extension ACL {
    /// The pattern chosen for a path and the permissions merged from every policy that names that pattern.
    ///
    /// Merging follows OpenBao: capabilities are unioned unless some policy denies, which clears capabilities
    /// and parameter lists for good; required parameters are unioned; allowed/denied parameter values are
    /// concatenated, and an empty list (meaning "any value") absorbs the rest; the smaller positive
    /// wrapping TTL wins for both bounds.
    public struct Match: Sendable, Hashable {
        /// The pattern as written in the policies (with its `*`, if any).
        public var pattern: String
        public var capabilities: Set<Capability>
        /// Names of the policies that contributed to this pattern, in the order they were given.
        public var policies: [String]
        public var requiredParameters: [String]
        /// Lower-cased parameter name (or `*`) to values; an empty list allows any value.
        public var allowedParameters: [String: [HCLValue]]
        /// Lower-cased parameter name (or `*`) to values; an empty list denies any value.
        public var deniedParameters: [String: [HCLValue]]
        public var minWrappingTTL: Duration?
        public var maxWrappingTTL: Duration?

        init(pattern: String) {
            self.pattern = pattern
            capabilities = []
            policies = []
            requiredParameters = []
            allowedParameters = [:]
            deniedParameters = [:]
        }

        /// Folds one more rule for this pattern in.
        mutating func absorb(_ rule: PathRule, from policy: String) {
            let first = policies.isEmpty
            if !first && capabilities.contains(.deny) { return }
            if !policies.contains(policy) { policies.append(policy) }
            if first {
                capabilities = rule.capabilities
                requiredParameters = rule.requiredParameters
                allowedParameters = Self.table(rule.allowedParameters)
                deniedParameters = Self.table(rule.deniedParameters)
                minWrappingTTL = Self.positive(rule.minWrappingTTL)
                maxWrappingTTL = Self.positive(rule.maxWrappingTTL)
                return
            }
            if rule.capabilities.contains(.deny) {
                capabilities = [.deny]
                allowedParameters = [:]
                deniedParameters = [:]
                return
            }
            capabilities.formUnion(rule.capabilities)
            if let ttl = Self.positive(rule.maxWrappingTTL), maxWrappingTTL.map({ ttl < $0 }) ?? true {
                maxWrappingTTL = ttl
            }
            if let ttl = Self.positive(rule.minWrappingTTL), minWrappingTTL.map({ ttl < $0 }) ?? true {
                minWrappingTTL = ttl
            }
            Self.mergeValues(Self.table(rule.allowedParameters), into: &allowedParameters)
            Self.mergeValues(Self.table(rule.deniedParameters), into: &deniedParameters)
            for name in rule.requiredParameters where !requiredParameters.contains(name) {
                requiredParameters.append(name)
            }
        }

        private static func positive(_ ttl: Duration?) -> Duration? {
            guard let ttl, ttl > .zero else { return nil }
            return ttl
        }

        /// One rule's constraints as a table; a repeated name keeps its last values, like a decoded map.
        private static func table(_ constraints: [ParameterConstraint]) -> [String: [HCLValue]] {
            var table: [String: [HCLValue]] = [:]
            for constraint in constraints { table[constraint.name] = constraint.values }
            return table
        }

        private static func mergeValues(_ incoming: [String: [HCLValue]], into existing: inout [String: [HCLValue]]) {
            for (name, values) in incoming {
                if values.isEmpty || existing[name]?.isEmpty == true {
                    existing[name] = []
                } else {
                    existing[name] = values + (existing[name] ?? [])
                }
            }
        }
    }
}
