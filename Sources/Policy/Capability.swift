/// A capability a policy grants on a path, spelled as in Vault/OpenBao policies.
///
/// `deny` is special: a rule holding it holds nothing else, and a merged rule that ever saw it stays denied.
/// `scan` is OpenBao's recursive-list capability; it is parsed and kept even though Coffer has no scan yet.
public enum Capability: String, Sendable, Hashable, CaseIterable, Comparable {
    case create, read, update, patch, delete, list, sudo, deny, scan

    public static func < (lhs: Capability, rhs: Capability) -> Bool { lhs.rawValue < rhs.rawValue }
}
