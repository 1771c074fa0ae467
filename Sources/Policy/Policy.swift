import HCL

/// A named Vault ACL policy: an ordered list of path rules.
///
/// Guarantees: a `Policy` produced by `parse(name:text:)` has passed the same checks Vault/OpenBao apply when a
/// policy is written (known keys only, known capabilities, valid TTLs, no `+*`), so compiling it into an `ACL`
/// cannot fail. Rules keep document order and repeated patterns are all kept (the ACL merges them).
public struct Policy: Sendable, Hashable {
    public var name: String
    public var rules: [PathRule]

    public init(name: String, rules: [PathRule]) {
        self.name = name
        self.rules = rules
    }

    /// The built-in `root` policy: an ACL containing it allows everything. An ACL recognises it by name, so
    /// whoever stores policies must refuse to store one called `root` (as Vault does).
    public static let root = Policy(name: "root", rules: [])

    /// The built-in `default` policy, parsed once from `defaultPolicyText`.
    // The text is a constant covered by tests; an empty policy is the safe fallback should it ever break.
    public static let defaultPolicy: Policy =
        (try? parse(name: "default", text: defaultPolicyText)) ?? Policy(name: "default", rules: [])
}
