/// The AppRole endpoints, parsed from a path relative to the mount. Role names follow
/// OpenBao's `GenericNameRegex` (`\w([\w-.]*\w)?`); anything else is no route.
enum Route: Equatable {
    case login
    case roleList
    case role(String)
    case roleField(String, RoleField)
    case roleID(String)
    case secretID(String)
    case customSecretID(String)
    case secretIDLookup(String)
    case secretIDDestroy(String)
    case accessorLookup(String)
    case accessorDestroy(String)
    case tidy

    init?(path: String) {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.count > 1, parts.last == "" { parts.removeLast() }
        switch parts.count {
        case 1 where parts[0] == "login": self = .login
        case 1 where parts[0] == "role": self = .roleList
        case 2 where parts == ["tidy", "secret-id"]: self = .tidy
        case 2 where parts[0] == "role" && Self.isName(parts[1]): self = .role(parts[1])
        case 3 where parts[0] == "role" && Self.isName(parts[1]):
            let name = parts[1]
            switch parts[2] {
            case "role-id": self = .roleID(name)
            case "secret-id": self = .secretID(name)
            case "custom-secret-id": self = .customSecretID(name)
            default:
                guard let field = RoleField(rawValue: parts[2]) else { return nil }
                self = .roleField(name, field)
            }
        case 4 where parts[0] == "role" && Self.isName(parts[1]):
            let name = parts[1]
            switch (parts[2], parts[3]) {
            case ("secret-id", "lookup"): self = .secretIDLookup(name)
            case ("secret-id", "destroy"): self = .secretIDDestroy(name)
            case ("secret-id-accessor", "lookup"): self = .accessorLookup(name)
            case ("secret-id-accessor", "destroy"): self = .accessorDestroy(name)
            default: return nil
            }
        default: return nil
        }
    }

    static func isName(_ text: String) -> Bool {
        func word(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || c == "_") }
        guard let first = text.first, let last = text.last, word(first), word(last) else { return false }
        return text.allSatisfy { word($0) || $0 == "-" || $0 == "." }
    }
}

/// The per-field role endpoints (`role/<name>/<field>`) and the role field each one reads
/// and writes.
enum RoleField: String, CaseIterable {
    case policies
    case secretIDNumUses = "secret-id-num-uses"
    case secretIDTTL = "secret-id-ttl"
    case tokenTTL = "token-ttl"
    case tokenMaxTTL = "token-max-ttl"
    case tokenNumUses = "token-num-uses"
    case period
    case bindSecretID = "bind-secret-id"
    case secretIDBoundCIDRs = "secret-id-bound-cidrs"
    case tokenBoundCIDRs = "token-bound-cidrs"
    case localSecretIDs = "local-secret-ids"
}
