import Foundation

/// A token as stored: everything about it except the token string itself, which is
/// kept only as a salted HMAC (the storage key).
public struct TokenEntry: Codable, Sendable, Equatable {
    public var accessor: String
    public var policies: [String]
    /// The path that created it ("auth/token/create", "auth/approle/login", or for a
    /// wrapping token the path of the wrapped request).
    public var path: String
    public var displayName: String
    public var meta: [String: String]?
    /// Uses left; 0 is unlimited.
    public var numUses: Int
    /// Unix seconds.
    public var creationTime: Int64
    public var issueTime: Date
    /// The TTL given at creation, seconds (0: none).
    public var ttlSeconds: Int64
    /// Unix seconds when it expires; 0 never.
    public var expireAt: Int64
    public var explicitMaxTTLSeconds: Int64
    public var periodSeconds: Int64
    public var renewable: Bool
    /// Storage hash of the parent token; nil for orphans.
    public var parentHash: String?
    public var boundCIDRs: [String]
    public var internalData: [String: String]?
    public var type: String

    public var isRoot: Bool { policies.contains("root") }
    public var isOrphan: Bool { parentHash == nil }
    public var isWrapping: Bool { policies == [TokenEntry.wrappingPolicy] }

    static let wrappingPolicy = "response-wrapping"

    public init(
        accessor: String, policies: [String], path: String, displayName: String, meta: [String: String]? = nil,
        numUses: Int = 0, creationTime: Int64, issueTime: Date, ttlSeconds: Int64 = 0, expireAt: Int64 = 0,
        explicitMaxTTLSeconds: Int64 = 0, periodSeconds: Int64 = 0, renewable: Bool = false,
        parentHash: String? = nil, boundCIDRs: [String] = [], internalData: [String: String]? = nil,
        type: String = "service"
    ) {
        self.accessor = accessor
        self.policies = policies
        self.path = path
        self.displayName = displayName
        self.meta = meta
        self.numUses = numUses
        self.creationTime = creationTime
        self.issueTime = issueTime
        self.ttlSeconds = ttlSeconds
        self.expireAt = expireAt
        self.explicitMaxTTLSeconds = explicitMaxTTLSeconds
        self.periodSeconds = periodSeconds
        self.renewable = renewable
        self.parentHash = parentHash
        self.boundCIDRs = boundCIDRs
        self.internalData = internalData
        self.type = type
    }

    func isExpired(at now: Date) -> Bool {
        expireAt != 0 && Int64(now.timeIntervalSince1970) >= expireAt
    }
}

extension TokenEntry {
    /// Decodes a stored entry. Every authenticated request reads one, and `JSONDecoder` cost a tenth of a
    /// read's CPU, so the shape `JSONEncoder` writes is read straight from a `JSONValue`; anything else (an
    /// older or damaged record) goes through `JSONDecoder`, whose answer or error is then the one given.
    static func decode(_ bytes: [UInt8]) throws -> TokenEntry {
        if let value = try? JSONValue.parse(bytes), let entry = TokenEntry(stored: value) { return entry }
        return try JSONDecoder().decode(TokenEntry.self, from: Data(bytes))
    }

    /// The entry in `value` when it has exactly the fields and types the synthesised `Codable` reads (unknown
    /// keys ignored, optionals absent or null); nil otherwise.
    init?(stored value: JSONValue) {
        guard case .object(let fields) = value else { return nil }
        func string(_ key: String) -> String? { fields[key]?.stringValue }
        func integer(_ key: String) -> Int64? {
            if case .int(let number)? = fields[key] { return number }
            return nil
        }
        func strings(_ key: String) -> [String]? {
            guard case .array(let items)? = fields[key] else { return nil }
            var result: [String] = []
            for item in items {
                guard case .string(let text) = item else { return nil }
                result.append(text)
            }
            return result
        }
        /// .some(nil) when absent or null, nil when present with another type.
        func optionalMap(_ key: String) -> [String: String]?? {
            switch fields[key] {
            case nil, .null?: return .some(nil)
            case .object(let members)?:
                var result: [String: String] = [:]
                for (name, member) in members {
                    guard case .string(let text) = member else { return nil }
                    result[name] = text
                }
                return .some(result)
            default: return nil
            }
        }
        let parentHash: String?
        switch fields["parentHash"] {
        case nil, .null?: parentHash = nil
        case .string(let text)?: parentHash = text
        default: return nil
        }
        let issueSeconds: Double
        switch fields["issueTime"] {
        case .int(let number)?: issueSeconds = Double(number)
        case .double(let number)?: issueSeconds = number
        default: return nil
        }
        guard let accessor = string("accessor"), let policies = strings("policies"), let path = string("path"),
            let displayName = string("displayName"), let meta = optionalMap("meta"),
            let numUses = integer("numUses").flatMap({ Int(exactly: $0) }),
            let creationTime = integer("creationTime"), let ttlSeconds = integer("ttlSeconds"),
            let expireAt = integer("expireAt"), let explicitMaxTTLSeconds = integer("explicitMaxTTLSeconds"),
            let periodSeconds = integer("periodSeconds"), case .bool(let renewable)? = fields["renewable"],
            let boundCIDRs = strings("boundCIDRs"), let internalData = optionalMap("internalData"),
            let type = string("type")
        else { return nil }
        self.init(
            accessor: accessor, policies: policies, path: path, displayName: displayName, meta: meta,
            numUses: numUses, creationTime: creationTime, issueTime: Date(timeIntervalSinceReferenceDate: issueSeconds),
            ttlSeconds: ttlSeconds, expireAt: expireAt, explicitMaxTTLSeconds: explicitMaxTTLSeconds,
            periodSeconds: periodSeconds, renewable: renewable, parentHash: parentHash, boundCIDRs: boundCIDRs,
            internalData: internalData, type: type)
    }
}
