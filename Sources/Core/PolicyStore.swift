import Foundation
import Policy
import Storage
import Synchronization

/// ACL policies kept behind the barrier under `sys/policy/<name>`, with parsed copies
/// cached in memory. `root` is built in and immutable; `default` exists from the start
/// and may be rewritten but not deleted, as in Vault.
///
/// A value type held by the core actor; every change goes through it there.
struct PolicyStore: Sendable {
    struct Record: Codable, Sendable {
        var name: String
        var policy: String
        var version: Int
        var modified: Date
    }

    private let storage: any Storage
    private(set) var cache: [String: Policy] = [:]
    /// Built ACLs by the policy names a token carries, as it carries them. Building one walks every rule
    /// of every policy; it cost a tenth of the CPU of a read. Any policy write or delete empties it (an ACL
    /// also depends on which of its names exist), and a new active node starts with a new store.
    private(set) var acls: [[String]: ACL] = [:]
    static let aclCacheLimit = 4096
    /// Bumped by `invalidate()`. A request works on a copy of the store taken when it started; it may write
    /// its copy back (with what it cached) only while the generation is unchanged, so a copy from before a
    /// policy write never puts the old policy back. Each store starts its generations in a range of its own,
    /// so a copy of one store is never taken for a copy of another (a standby rebuilds its store whenever a
    /// policy was written elsewhere).
    private(set) var generation: Int

    private static let generationRanges = Atomic<Int>(0)

    init(storage: any Storage) {
        self.storage = storage
        generation = Self.generationRanges.add(1 << 32, ordering: .relaxed).newValue
    }

    static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 128
            && name.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0 != "/" && $0.value != 0x7F }
    }

    func record(_ name: String) async throws -> Record? {
        guard let bytes = try await storage.get(name) else {
            if name == "default" {
                return Record(name: "default", policy: Policy.defaultPolicyText, version: 0, modified: Date(timeIntervalSince1970: 0))
            }
            return nil
        }
        return try JSONDecoder().decode(Record.self, from: Data(bytes))
    }

    func names() async throws -> [String] {
        var names = Set(try await storage.list(prefix: "").filter { !$0.hasSuffix("/") })
        names.insert("default")
        names.insert("root")
        return names.sorted()
    }

    /// Parses and stores; a parse error is a 400 naming the line.
    mutating func write(name: String, text: String, now: Date) async throws -> Record {
        let parsed: Policy
        do {
            parsed = try Policy.parse(name: name, text: text)
        } catch {
            throw CoreError.badRequest("failed to parse policy: \(error.description)")
        }
        let previous = try await storage.get(name).flatMap { try? JSONDecoder().decode(Record.self, from: Data($0)) }
        let record = Record(name: name, policy: text, version: (previous?.version ?? 0) + 1, modified: now)
        try await storage.put(name, Array(JSONEncoder().encode(record)))
        cache[name] = parsed
        acls = [:]
        generation += 1
        return record
    }

    mutating func delete(name: String) async throws {
        try await storage.delete(name)
        cache[name] = nil
        acls = [:]
        generation += 1
    }

    /// Forgets every parsed policy and built ACL: after a policy write or delete, on the live store.
    mutating func invalidate() {
        cache = [:]
        acls = [:]
        generation += 1
    }

    /// Takes `copy`'s caches when it was made from this generation; a stale copy is dropped.
    mutating func adoptCaches(of copy: PolicyStore) {
        guard copy.generation == generation else { return }
        self = copy
    }

    /// The ACL of a token with policies `names` (unknown names are skipped, as Vault does).
    mutating func acl(_ names: [String]) async throws -> ACL {
        if let built = acls[names] { return built }
        let built = ACL(policies: try await policies(names))
        if acls.count >= Self.aclCacheLimit { acls = [:] }
        acls[names] = built
        return built
    }

    /// The parsed policies of `names`; unknown names are skipped, as Vault does.
    mutating func policies(_ names: [String]) async throws -> [Policy] {
        var result: [Policy] = []
        for name in names {
            if name == "root" {
                result.append(.root)
                continue
            }
            if let cached = cache[name] {
                result.append(cached)
                continue
            }
            guard let record = try await record(name) else { continue }
            if let parsed = try? Policy.parse(name: name, text: record.policy) {
                cache[name] = parsed
                result.append(parsed)
            }
        }
        return result
    }
}
