import Core
import Foundation

/// Times written as Go's `time.Time` marshals them to JSON (RFC 3339 with up to nine
/// fractional digits, trailing zeros dropped, UTC "Z"). Stateless.
enum GoTime {
    /// Go's zero time, what OpenBao answers for a secret_id that never expires.
    static let zero = "0001-01-01T00:00:00Z"

    static func string(_ date: Date?) -> String {
        guard let date else { return zero }
        return Timestamp(date).rfc3339Nano
    }
}
