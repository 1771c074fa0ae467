import Foundation
import Core
import Storage

/// The per-field role endpoints (`role/<name>/policies`, `.../secret-id-num-uses`, ...):
/// read one field, set it, or reset it to its default.
extension AppRoleBackend {
    func readRoleField(
        _ name: String, _ field: RoleField, _ request: BackendRequest
    ) async throws(CoreError) -> Response {
        if field == .bindSecretID { throw .notFound([CoreError.wrapped("unsupported path")]) }
        guard let role = try await loadRole(name, request.storage) else { throw .notFound([]) }
        let all = Self.describe(role)
        var data: [String: JSONValue] = [:]
        switch field {
        case .policies:
            data["token_policies"] = all["token_policies"]
            data["policies"] = all["policies"]
        case .period:
            data["token_period"] = all["token_period"]
            data["period"] = all["period"]
        case .tokenBoundCIDRs:
            data[field.key] = role.tokenBoundCIDRs.isEmpty ? .null : all[field.key]
        default:
            data[field.key] = all[field.key]
        }
        return .data(data)
    }

    func writeRoleField(
        _ name: String, _ field: RoleField, _ request: BackendRequest
    ) async throws(CoreError) -> Response {
        if field == .bindSecretID { throw .notFound([CoreError.wrapped("unsupported path")]) }
        let fields = FieldReader(request.data)
        return try await locks.withLock(Self.roleLockKey) { () async throws(CoreError) -> Response in
            guard var role = try await loadRole(name, request.storage) else {
                throw .notFound([CoreError.wrapped("unsupported path")])
            }
            switch field {
            case .policies:
                if let policies = try fields.commaStrings("token_policies") {
                    role.tokenPolicies = Self.sanitisedPolicies(policies)
                    role.legacyPolicies = fields.has("policies") ? role.tokenPolicies : nil
                } else if let policies = try fields.commaStrings("policies") {
                    role.legacyPolicies = Self.sanitisedPolicies(policies)
                    role.tokenPolicies = role.legacyPolicies ?? []
                } else {
                    throw .badRequest("missing token_policies")
                }
            case .period:
                if let period = try fields.seconds("token_period") {
                    role.tokenPeriod = period
                    role.legacyPeriod = fields.has("period") ? period : 0
                } else if let period = try fields.seconds("period") {
                    role.legacyPeriod = period
                    role.tokenPeriod = period
                } else {
                    throw .badRequest("missing period")
                }
                if role.legacyPeriod > maxLeaseTTL {
                    throw .badRequest(
                        "period of \"\(GoDuration.string(seconds: role.legacyPeriod))\" is greater than the backend's "
                            + "maximum lease TTL of \"\(GoDuration.string(seconds: maxLeaseTTL))\"")
                }
            case .secretIDNumUses:
                guard let uses = try fields.int(field.key) else { throw .badRequest("missing \(field.key)") }
                if uses < 0 { throw .badRequest("secret_id_num_uses cannot be negative") }
                role.secretIDNumUses = uses
            case .secretIDTTL:
                guard let ttl = try fields.seconds(field.key) else { throw .badRequest("missing \(field.key)") }
                role.secretIDTTL = ttl
            case .tokenTTL:
                guard let ttl = try fields.seconds(field.key) else { throw .badRequest("missing \(field.key)") }
                if role.tokenMaxTTL > 0, ttl > role.tokenMaxTTL {
                    throw .badRequest("token_ttl should not be greater than token_max_ttl")
                }
                role.tokenTTL = ttl
            case .tokenMaxTTL:
                guard let ttl = try fields.seconds(field.key) else { throw .badRequest("missing \(field.key)") }
                if ttl > 0, role.tokenTTL > ttl {
                    throw .badRequest("token_max_ttl should be greater than or equal to token_ttl")
                }
                role.tokenMaxTTL = ttl
            case .tokenNumUses:
                guard let uses = try fields.int(field.key) else { throw .badRequest("missing \(field.key)") }
                role.tokenNumUses = uses
            case .bindSecretID:
                guard let bind = try fields.bool(field.key) else { throw .badRequest("missing \(field.key)") }
                role.bindSecretID = bind
            case .secretIDBoundCIDRs:
                var given = try fields.commaStrings(field.key)
                if given == nil { given = try fields.commaStrings("bound_cidr_list") }
                guard let cidrs = given, !cidrs.isEmpty else { throw .badRequest("missing bound_cidr_list") }
                do throws(CoreError) {
                    _ = try CIDRList.validate(cidrs)
                } catch {
                    throw .badRequest("failed to validate CIDR blocks: invalid CIDR address: "
                        + (cidrs.first { CIDRBlock($0) == nil } ?? ""))
                }
                role.secretIDBoundCIDRs = cidrs
            case .tokenBoundCIDRs:
                guard let cidrs = try fields.commaStrings(field.key) else { return .noContent }
                do throws(CoreError) {
                    role.tokenBoundCIDRs = try CIDRList.normalisedAddresses(cidrs)
                } catch {
                    if case .badRequest(let message) = error {
                        throw .badRequest("failed to parse token_bound_cidrs: \(message)")
                    }
                    throw error
                }
            case .localSecretIDs:
                throw .unsupportedOperation
            }
            try await saveRole(role, previousRoleID: role.roleID, request.storage)
            return .noContent
        }
    }

    func deleteRoleField(
        _ name: String, _ field: RoleField, _ request: BackendRequest
    ) async throws(CoreError) -> Response {
        if field == .bindSecretID { throw .notFound([CoreError.wrapped("unsupported path")]) }
        return try await locks.withLock(Self.roleLockKey) { () async throws(CoreError) -> Response in
            guard var role = try await loadRole(name, request.storage) else { return .noContent }
            switch field {
            case .policies:
                role.tokenPolicies = []
                role.legacyPolicies = nil
            case .period:
                role.tokenPeriod = 0
                role.legacyPeriod = 0
            case .secretIDNumUses: role.secretIDNumUses = 0
            case .secretIDTTL: role.secretIDTTL = 0
            case .tokenTTL: role.tokenTTL = 0
            case .tokenMaxTTL: role.tokenMaxTTL = 0
            case .tokenNumUses: role.tokenNumUses = 0
            case .bindSecretID: role.bindSecretID = true
            case .secretIDBoundCIDRs: role.secretIDBoundCIDRs = nil
            case .tokenBoundCIDRs: role.tokenBoundCIDRs = []
            case .localSecretIDs: throw .unsupportedOperation
            }
            try await saveRole(role, previousRoleID: role.roleID, request.storage)
            return .noContent
        }
    }
}

extension RoleField {
    /// The role field's name in request and response bodies.
    var key: String { rawValue.replacingOccurrences(of: "-", with: "_") }
}
