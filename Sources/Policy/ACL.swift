/// A set of policies compiled for lookups, answering with Vault's matching rules.
///
/// Rules from all policies are merged per pattern: capabilities are unioned, except that `deny` from any
/// policy replaces everything for that pattern. A lookup then picks exactly one pattern:
/// 1. an exact pattern equal to the path (for list, also the path without its trailing `/`);
/// 2. otherwise the highest-priority glob/segment-wildcard pattern that matches, where priority compares, in
///    order: a later first `+` or `*` wins; not ending in `*` wins; fewer `+` segments win; a longer pattern
///    wins; a lexicographically greater pattern wins;
/// 3. for list only, when nothing matched and the path ends in `/`, step 2 again without that `/`.
/// Only the chosen pattern's capabilities count. A policy named `root` makes the ACL allow everything.
/// Templated patterns (`{{identity.entity.id}}`) are left out, since Coffer tokens have no identity entity.
/// Immutable after `init`, so it is safe to share across tasks.
public struct ACL: Sendable {
    /// What a request does, for `allows(operation:path:)`. Raw values match Vault's operation names.
    public enum Operation: String, Sendable, Hashable, CaseIterable {
        case create, read, update, patch, delete, list

        var capability: Capability {
            switch self {
            case .create: .create
            case .read: .read
            case .update: .update
            case .patch: .patch
            case .delete: .delete
            case .list: .list
            }
        }
    }

    /// A merged glob or segment-wildcard pattern, pre-split for matching.
    private struct WildcardPattern: Sendable {
        var match: Match
        /// The pattern without its trailing `*`.
        var stem: String
        var segments: [Substring]
        var isPrefix: Bool
        var firstWildcard: Int
        var wildcardCount: Int
    }

    public let isRoot: Bool
    public let policyNames: [String]
    private let exact: [String: Match]
    private let prefixes: [WildcardPattern]
    private let segmentWildcards: [WildcardPattern]

    public init(policies: [Policy]) {
        isRoot = policies.contains { $0.name == "root" }
        policyNames = policies.map(\.name)
        var exact: [String: Match] = [:]
        var prefix: [String: Match] = [:]
        var segment: [String: Match] = [:]
        for policy in policies {
            for rule in policy.rules where !rule.isTemplated {
                if rule.hasSegmentWildcards {
                    segment[rule.pattern, default: Match(pattern: rule.pattern)].absorb(rule, from: policy.name)
                } else if rule.isPrefix {
                    prefix[String(rule.pattern.dropLast()), default: Match(pattern: rule.pattern)]
                        .absorb(rule, from: policy.name)
                } else {
                    exact[rule.pattern, default: Match(pattern: rule.pattern)].absorb(rule, from: policy.name)
                }
            }
        }
        self.exact = exact
        self.prefixes = prefix.map { stem, match in
            WildcardPattern(match: match, stem: stem, segments: [], isPrefix: true,
                            firstWildcard: stem.utf8.count, wildcardCount: 0)
        }
        self.segmentWildcards = segment.values.sorted { $0.pattern < $1.pattern }.map { match in
            let isPrefix = match.pattern.hasSuffix("*")
            let stem = isPrefix ? String(match.pattern.dropLast()) : match.pattern
            let segments = stem.split(separator: "/", omittingEmptySubsequences: false)
            let firstPlus = match.pattern.utf8.firstIndex(of: UInt8(ascii: "+"))
                .map { match.pattern.utf8.distance(from: match.pattern.utf8.startIndex, to: $0) } ?? 0
            return WildcardPattern(match: match, stem: stem, segments: segments, isPrefix: isPrefix,
                                   firstWildcard: firstPlus, wildcardCount: segments.filter { $0 == "+" }.count)
        }
    }

    /// The capabilities held on `path`, judged as Vault's `sys/capabilities` does (as a list request, so a
    /// trailing `/` may fall back to the pattern without it). `[.deny]` when the chosen pattern denies, empty
    /// when nothing matches. For a root ACL: every capability except `deny` (check `isRoot` to tell).
    public func capabilities(for path: String) -> Set<Capability> {
        if isRoot { return Set(Capability.allCases).subtracting([.deny]) }
        return match(for: path, operation: .list)?.capabilities ?? []
    }

    /// Whether the ACL lets `operation` happen on `path` for a request without body parameters and without
    /// response wrapping. See `allows(operation:path:parameters:wrapTTL:)` for the full check.
    public func allows(operation: Operation, path: String) -> Bool {
        allows(operation: operation, path: path, parameters: [:], wrapTTL: nil)
    }

    /// Whether `sudo` is held on `path` (needed for root-protected endpoints).
    public func hasSudo(path: String, operation: Operation) -> Bool {
        if isRoot { return true }
        guard let capabilities = match(for: path, operation: operation)?.capabilities else { return false }
        return !capabilities.contains(.deny) && capabilities.contains(.sudo)
    }

    /// The single pattern Vault would use for `path` and `operation`, or nil when none matches.
    public func match(for path: String, operation: Operation) -> Match? {
        let path = String(path.drop { $0 == "/" })
        if let found = exact[path] { return found }
        let retryWithoutSlash = operation == .list && path.hasSuffix("/")
        if retryWithoutSlash, let found = exact[String(path.dropLast())] { return found }
        // OpenBao 2.7.2 tries globs on the path as given first, and only then without the trailing slash
        // (recorded: "shared/prod/" picks "shared/prod/*" over "shared/*"; "a/c/" falls back to "+/c").
        if let found = nonExactMatch(path) { return found }
        return retryWithoutSlash ? nonExactMatch(String(path.dropLast())) : nil
    }

    private func nonExactMatch(_ path: String) -> Match? {
        var best: WildcardPattern?
        for candidate in prefixes where path.utf8.starts(with: candidate.stem.utf8) {
            if best.map({ candidate.stem.utf8.count > $0.stem.utf8.count }) ?? true { best = candidate }
        }
        if segmentWildcards.isEmpty { return best?.match }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        for candidate in segmentWildcards where Self.segmentsMatch(candidate, parts) {
            if best.map({ Self.outranks(candidate, $0) }) ?? true { best = candidate }
        }
        return best?.match
    }

    private static func segmentsMatch(_ pattern: WildcardPattern, _ parts: [Substring]) -> Bool {
        let count = pattern.segments.count
        if parts.count < count { return false }
        if !pattern.isPrefix && parts.count != count { return false }
        for (index, segment) in pattern.segments.enumerated() {
            if segment == "+" || segment == parts[index] { continue }
            if pattern.isPrefix && index == count - 1 && parts[index].hasPrefix(segment) { continue }
            return false
        }
        return true
    }

    /// Vault's priority order between two matching non-exact patterns.
    private static func outranks(_ lhs: WildcardPattern, _ rhs: WildcardPattern) -> Bool {
        if lhs.firstWildcard != rhs.firstWildcard { return lhs.firstWildcard > rhs.firstWildcard }
        if lhs.isPrefix != rhs.isPrefix { return !lhs.isPrefix }
        if lhs.wildcardCount != rhs.wildcardCount { return lhs.wildcardCount < rhs.wildcardCount }
        let left = lhs.stem.utf8.count, right = rhs.stem.utf8.count
        if left != right { return left > right }
        return rhs.stem.utf8.lexicographicallyPrecedes(lhs.stem.utf8)
    }
}
