import HCL

/// One `path "pattern" { ... }` stanza of a policy, validated.
///
/// Guarantees: `pattern` has no leading `/` and never contains `+*`; `capabilities` is exactly `[.deny]` when
/// the stanza denies (other capabilities are dropped, as Vault does), and already includes what a legacy
/// `policy = "read" | "write" | "sudo" | "deny"` shorthand stands for. When both wrapping TTLs are set,
/// `maxWrappingTTL >= minWrappingTTL`.
public struct PathRule: Sendable, Hashable {
    /// The pattern as written, minus a leading `/`: a trailing `*` is a prefix glob and a `+` segment matches
    /// any single segment.
    public var pattern: String
    public var capabilities: Set<Capability>
    /// The legacy `policy = "..."` value when one was given.
    public var legacyPolicy: String?
    public var requiredParameters: [String]
    public var allowedParameters: [ParameterConstraint]
    public var deniedParameters: [ParameterConstraint]
    public var minWrappingTTL: Duration?
    public var maxWrappingTTL: Duration?
    public var comment: String?
    /// Where the stanza starts in the policy text.
    public var position: SourcePosition

    public init(
        pattern: String,
        capabilities: Set<Capability>,
        legacyPolicy: String? = nil,
        requiredParameters: [String] = [],
        allowedParameters: [ParameterConstraint] = [],
        deniedParameters: [ParameterConstraint] = [],
        minWrappingTTL: Duration? = nil,
        maxWrappingTTL: Duration? = nil,
        comment: String? = nil,
        position: SourcePosition = SourcePosition(line: 0, column: 0)
    ) {
        self.pattern = pattern
        self.capabilities = capabilities
        self.legacyPolicy = legacyPolicy
        self.requiredParameters = requiredParameters
        self.allowedParameters = allowedParameters
        self.deniedParameters = deniedParameters
        self.minWrappingTTL = minWrappingTTL
        self.maxWrappingTTL = maxWrappingTTL
        self.comment = comment
        self.position = position
    }

    /// Vault's test for a segment-wildcard pattern: `+` alone, a `/+` anywhere, or a leading `+/`.
    public var hasSegmentWildcards: Bool {
        pattern == "+" || pattern.contains("/+") || pattern.hasPrefix("+/")
    }

    /// A trailing `*` glob on a pattern without segment wildcards.
    public var isPrefix: Bool { !hasSegmentWildcards && pattern.hasSuffix("*") }

    /// Patterns with `{{identity...}}` templates; they only apply to tokens with an entity.
    public var isTemplated: Bool { pattern.contains("{{") && pattern.contains("}}") }
}
