import Foundation
import Storage

/// The mounts of one namespace (secrets engines, or auth methods under `auth/`),
/// stored as one JSON record behind the barrier. Lookup is by longest prefix.
///
/// A value type; the core owns the live copy and persists it on every change.
struct MountTable: Codable, Sendable, Equatable {
    static let secretsKey = "core/mounts"
    static let authKey = "core/auth"

    var entries: [MountEntry]

    /// The mount whose path is the longest prefix of `path` (paths compared with a
    /// trailing slash, so `secret` matches the mount `secret/`).
    func match(_ path: String) -> MountEntry? {
        let probe = path.hasSuffix("/") ? path : path + "/"
        var best: MountEntry?
        for entry in entries where probe.hasPrefix(entry.path) {
            if best == nil || entry.path.count > (best?.path.count ?? 0) {
                best = entry
            }
        }
        return best
    }

    /// Whether a new mount at `path` would overlap an existing one (one is a prefix of
    /// the other), which Vault refuses.
    func conflicts(with path: String) -> MountEntry? {
        entries.first { path.hasPrefix($0.path) || $0.path.hasPrefix(path) }
    }

    static func load(from storage: any Storage, key: String) async throws -> MountTable? {
        guard let bytes = try await storage.get(key) else { return nil }
        return try JSONDecoder().decode(MountTable.self, from: Data(bytes))
    }

    func save(to storage: any Storage, key: String) async throws {
        try await storage.put(key, Array(JSONEncoder().encode(self)))
    }
}
