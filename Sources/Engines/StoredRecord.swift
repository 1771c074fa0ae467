import Core
import Foundation
import Storage

/// Reads and writes Codable records as JSON through a ``Storage``, turning storage and
/// decoding faults into ``CoreError/internal(_:)`` with messages that name the kind of
/// record, never its contents.
enum StoredRecord {
    static func load<T: Decodable>(_ type: T.Type, at key: String, in storage: any Storage) async throws(CoreError)
        -> T?
    {
        let bytes: [UInt8]?
        do {
            bytes = try await storage.get(key)
        } catch {
            throw EngineReply.fault("read failed: storage error")
        }
        guard let bytes else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw EngineReply.fault("failed to decode \(T.self) from storage")
        }
    }

    static func encode<T: Encodable>(_ value: T) throws(CoreError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            throw EngineReply.fault("failed to encode \(T.self)")
        }
    }

    static func get(_ key: String, in storage: any Storage) async throws(CoreError) -> [UInt8]? {
        do {
            return try await storage.get(key)
        } catch {
            throw EngineReply.fault("read failed: storage error")
        }
    }

    static func apply(_ operations: [StorageOperation], to storage: any Storage) async throws(CoreError) {
        guard !operations.isEmpty else { return }
        do {
            try await storage.batch(operations)
        } catch {
            throw EngineReply.fault("failed to write: storage error")
        }
    }

    static func list(_ prefix: String, in storage: any Storage) async throws(CoreError) -> [String] {
        do {
            return try await storage.list(prefix: prefix)
        } catch {
            throw EngineReply.fault("list failed: storage error")
        }
    }
}
