import Core

/// One version's secret data as stored under `versions/<key hash>/<number>`. The data
/// is the JSON object the client wrote (or the result of a merge patch); nil when the
/// client wrote `"data": null`, which OpenBao stores and reads back as null.
struct StoredVersion: Codable, Sendable, Equatable {
    var data: [String: JSONValue]?
    var createdTime: Timestamp
}
