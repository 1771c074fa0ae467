import Foundation
import Storage

/// The seam between the core's request path and the audit devices.
///
/// The core calls ``record(_:)`` once with the request (before anything is read or
/// changed) and once with the response or error. A broker with devices enabled must
/// throw when no device could record the entry: the core then refuses the request
/// (fail closed). Implementations own their device table and its ordering guarantees;
/// the core only sees this protocol (the Audit module implements it).
public protocol AuditBroker: Sendable {
    /// Whether any device is enabled; when false the core skips building records.
    func hasDevices() async -> Bool
    /// Writes `record` to every enabled device. Throws ``AuditFailure`` when devices are
    /// enabled and none recorded it.
    func record(_ record: AuditRecord) async throws(AuditFailure)
    /// Called while the node is unsealed, with storage behind the barrier where the
    /// broker keeps its per-device salts and the devices enabled through the API.
    func unsealed(storage: any Storage) async throws(AuditFailure)
    /// Called on seal: the broker forgets its salts.
    func sealed() async
    /// `sys/audit` (read): devices by path ("name/").
    func listDevices() async -> [String: JSONValue]
    /// `sys/audit/NAME` (write).
    func enableDevice(
        name: String, type: String, description: String, options: [String: String], local: Bool
    ) async throws(CoreError)
    /// `sys/audit/NAME` (delete).
    func disableDevice(name: String) async throws(CoreError)
    /// `sys/audit-hash/NAME`: the device's HMAC of `input`, as it would appear in its log.
    func hash(device: String, input: String) async throws(CoreError) -> String
}

/// A request or a response as the audit devices see it, before any hashing.
public struct AuditRecord: Sendable {
    public enum Kind: String, Sendable {
        case request, response
    }

    /// The token behind a request, as Vault's `auth` block of an audit entry shows it.
    public struct Auth: Sendable {
        public var clientToken: String
        public var accessor: String
        public var displayName: String
        public var policies: [String]
        public var metadata: [String: String]?
        public var tokenType: String
        public var tokenTTL: Int64
        public var issueTime: Date
    }

    /// The mount a request was routed to.
    public struct Mount: Sendable {
        public var point: String
        public var type: String
        public var accessor: String
        public var isAuth: Bool
    }

    public var kind: Kind
    public var time: Date
    /// Shared by a request and its response.
    public var requestID: String
    public var request: Request
    public var auth: Auth?
    public var mount: Mount?
    /// The response (response records only).
    public var response: Response?
    /// The error the request ended with, as the client sees it (response records only).
    public var error: String?
}

/// No enabled audit device could record an entry.
public struct AuditFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
