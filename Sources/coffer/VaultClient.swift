import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// An HTTP client of the Vault API (`/v1/...`): sends the client token as `X-Vault-Token`, an optional
/// `X-Vault-Wrap-TTL`, JSON bodies, and turns non-success answers into `ClientError.response` worded like
/// Vault's Go client. Immutable, so it may be shared between tasks.
struct VaultClient: Sendable {
    var configuration: ClientConfiguration
    /// Sent as `X-Vault-Wrap-TTL` on every request when set (the `-wrap-ttl` flag).
    var wrapTTL: String?

    init(configuration: ClientConfiguration, wrapTTL: String? = nil) {
        self.configuration = configuration
        self.wrapTTL = wrapTTL
    }

    /// One HTTP answer, whatever its status.
    struct Answer: Sendable {
        var method: String
        var url: String
        var statusCode: Int
        var body: [UInt8]

        /// The body as JSON, or `nil` when it is empty.
        func json() throws(ClientError) -> JSONValue? {
            if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
                return nil
            }
            do {
                return try JSONParser.parse(body)
            } catch {
                throw .badBody("error parsing response from \(url): \(error)")
            }
        }

        var isSuccess: Bool {
            (200..<400).contains(statusCode) || statusCode == 429
        }

        /// The answer as Vault's Go client reports a failed request.
        var failure: ClientError {
            let raw = String(decoding: body, as: UTF8.self)
            var errors: [String]?
            if let parsed = try? JSONParser.parse(body), let object = parsed.objectValue {
                errors = object["errors"]?.arrayValue?.map { $0.stringValue ?? GoValueFormat.verbV($0) } ?? []
            }
            return .response(APIErrorResponse(
                method: method, url: url, statusCode: statusCode, errors: errors, rawBody: raw))
        }
    }

    /// The full URL for an API path such as `secret/foo` or `sys/seal-status`.
    func url(for path: String, query: [(String, String)] = []) throws(ClientError) -> URL {
        var base = configuration.address
        while base.hasSuffix("/") {
            base.removeLast()
        }
        let trimmedPath = path.drop { $0 == "/" }
        let encodedPath = trimmedPath.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)
            ?? String(trimmedPath)
        var text = base + "/v1/" + encodedPath
        if !query.isEmpty {
            let allowed = CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))
            text += "?" + query.map { key, value in
                let escaped = value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
                return "\(key)=\(escaped)"
            }.joined(separator: "&")
        }
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme),
              url.host != nil else {
            throw .badAddress(configuration.address)
        }
        return url
    }

    /// Sends one request and returns the answer whatever its status. `body` is sent as JSON, `rawBody` as is
    /// (snapshots). `token` overrides the configured client token for this request only.
    func exchange(
        _ method: String,
        _ path: String,
        query: [(String, String)] = [],
        body: JSONValue? = nil,
        rawBody: [UInt8]? = nil,
        token: String? = nil
    ) async throws(ClientError) -> Answer {
        let url = try url(for: path, query: query)
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "X-Vault-Request", value: "true")
        if let token = token ?? configuration.token, !token.isEmpty {
            request.headers.add(name: "X-Vault-Token", value: token)
        }
        if let wrapTTL, !wrapTTL.isEmpty {
            request.headers.add(name: "X-Vault-Wrap-TTL", value: wrapTTL)
        }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: GoJSON.compact(body)))
        } else if let rawBody {
            request.body = .bytes(ByteBuffer(bytes: rawBody))
        }
        let status: Int
        let data: ByteBuffer
        do {
            let response = try await HTTPClients.client(.api).execute(request, deadline: .distantFuture)
            status = Int(response.status.code)
            data = try await response.body.collect(upTo: Int.max)
        } catch {
            throw .transport(method: method, url: url.absoluteString, reason: HTTPClients.describe(error, url: url))
        }
        return Answer(method: method, url: url.absoluteString, statusCode: status, body: Array(buffer: data))
    }

    /// Sends one request and returns its JSON body; a non-success status throws `ClientError.response`.
    func send(
        _ method: String,
        _ path: String,
        query: [(String, String)] = [],
        body: JSONValue? = nil,
        token: String? = nil
    ) async throws(ClientError) -> JSONValue? {
        let answer = try await exchange(method, path, query: query, body: body, token: token)
        guard answer.isSuccess else {
            throw answer.failure
        }
        return try answer.json()
    }
}
