import Core
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Translates Vault's HTTP API (`/v1/...`) to core ``Core/Request``s and back. Holds no
/// business logic: methods, headers, bodies and error shapes only.
public struct VaultHTTPResponder: HTTPResponder {
    public typealias Context = CofferRequestContext

    /// Vault's default `max_request_size` (32 MiB).
    public static let defaultMaxRequestSize = 32 * 1024 * 1024

    let core: CofferCore
    let maxRequestSize: Int
    let logger: Logger
    /// Sends a request this standby cannot answer to the active node and returns its encoded answer
    /// (`ForwardedHTTPRequest` / `ForwardedHTTPResponse` bytes). Nil on a node without a cluster.
    let forwarder: (@Sendable ([UInt8]) async throws(CoreError) -> [UInt8])?
    /// Streams snapshot archives (`VaultHTTPResponder+Snapshot`); nil on a node without a cluster.
    let snapshots: (any SnapshotTransfers)?

    public init(
        core: CofferCore, maxRequestSize: Int = VaultHTTPResponder.defaultMaxRequestSize, logger: Logger,
        forwarder: (@Sendable ([UInt8]) async throws(CoreError) -> [UInt8])? = nil,
        snapshots: (any SnapshotTransfers)? = nil
    ) {
        self.core = core
        self.maxRequestSize = maxRequestSize
        self.logger = logger
        self.forwarder = forwarder
        self.snapshots = snapshots
    }

    public func respond(to request: Hummingbird.Request, context: Context) async throws -> Hummingbird.Response {
        if let response = await respondToSnapshot(request, context: context) { return response }
        let parts: ForwardedHTTPRequest
        do {
            parts = try await Self.parts(of: request, context: context, maxRequestSize: maxRequestSize)
        } catch let error as CoreError {
            return Self.hummingbird(errorResponse(error))
        } catch {
            return Self.hummingbird(errorResponse(.internal("internal error")))
        }
        return Self.hummingbird(await answer(parts, forwarded: false))
    }

    /// Answers a request that a standby forwarded here; the bytes are a `ForwardedHTTPResponse`. A forwarded
    /// request is never forwarded again: if this node is no longer active the standby gets a 503.
    public func serveForwarded(_ bytes: [UInt8]) async -> [UInt8] {
        guard let request = ForwardedHTTPRequest.decode(bytes) else {
            return errorResponse(.badRequest("malformed forwarded request")).encoded()
        }
        return await answer(request, forwarded: true).encoded()
    }

    /// The one request path for local and forwarded requests.
    func answer(_ request: ForwardedHTTPRequest, forwarded: Bool) async -> ForwardedHTTPResponse {
        do {
            let coreRequest = try translate(request)
            let response = try await core.handle(coreRequest)
            return encode(response, head: request.method == "HEAD")
        } catch let error as CoreError {
            if case .standby = error, !forwarded, let forwarder,
                request.header(Self.noForwardingHeader.rawName) == nil
            {
                do {
                    let bytes = try await forwarder(request.encoded())
                    guard let response = ForwardedHTTPResponse.decode(bytes) else {
                        return errorResponse(.internal("malformed answer from the active node"))
                    }
                    return response
                } catch {
                    return errorResponse(error)
                }
            }
            return errorResponse(error)
        } catch {
            return errorResponse(.internal("internal error"))
        }
    }

    // MARK: request

    /// Reads the request once (body up to `maxRequestSize`) into the form both paths use.
    static func parts(
        of request: Hummingbird.Request, context: Context, maxRequestSize: Int
    ) async throws -> ForwardedHTTPRequest {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxRequestSize)
        } catch {
            throw CoreError.badRequest("failed to read request body: request body too large")
        }
        var target = request.uri.path
        if let query = request.uri.query, !query.isEmpty { target += "?" + query }
        return ForwardedHTTPRequest(
            method: request.method.rawValue,
            target: target,
            headers: request.headers.map { ($0.name.rawName, $0.value) },
            body: Array(buffer: body),
            remoteAddress: context.remoteAddress?.ipAddress)
    }

    func translate(_ request: ForwardedHTTPRequest) throws -> Core.Request {
        let uri = URI(request.target)
        let rawPath = uri.path
        guard rawPath.hasPrefix("/v1/") else {
            throw CoreError.notFound([])
        }
        let path = String(rawPath.dropFirst(4).drop(while: { $0 == "/" }))
        var query: [String: String] = [:]
        for (key, value) in uri.queryParameters {
            query[String(key)] = String(value)
        }
        let operation: Core.Operation
        switch request.method {
        case "GET": operation = Self.isTrue(query["list"]) ? .list : .read
        case "PUT", "POST": operation = .update
        case "DELETE": operation = .delete
        case "PATCH": operation = .patch
        case "HEAD": operation = .head
        case "LIST": operation = .list
        default: throw CoreError.methodNotAllowed
        }
        var data: [String: JSONValue] = [:]
        switch operation {
        case .update, .patch:
            let parsed: JSONValue
            do {
                parsed = try JSONValue.parse(request.body)
            } catch {
                throw CoreError.badRequest("failed to parse JSON input: \(error.message)")
            }
            switch parsed {
            case .object(let object): data = object
            case .null: data = [:]
            default:
                throw CoreError.badRequest(
                    "failed to parse JSON input: cannot unmarshal \(parsed.typeName) into an object")
            }
        default:
            for (key, value) in query where key != "list" {
                data[key] = .string(value)
            }
        }
        var token = request.header(Self.tokenHeader.rawName)
        if token == nil, let authorization = request.header("Authorization"), authorization.hasPrefix("Bearer ") {
            token = String(authorization.dropFirst("Bearer ".count))
        }
        var wrapTTL: Duration?
        if let header = request.header(Self.wrapTTLHeader.rawName) {
            if header.hasPrefix("-") {
                throw CoreError.badRequest("error parsing X-Vault-Wrap-TTL header: requested wrap ttl cannot be negative")
            }
            let seconds: Int64?
            do {
                seconds = try DurationValue.seconds(.string(header), field: "X-Vault-Wrap-TTL header")
            } catch {
                throw CoreError.badRequest("error parsing X-Vault-Wrap-TTL header: time: invalid duration \"\(header)\"")
            }
            wrapTTL = seconds.map { .seconds($0) }
        }
        return Core.Request(
            operation: operation,
            path: path,
            data: data,
            query: query,
            clientToken: token,
            wrapTTL: wrapTTL,
            remoteAddress: request.remoteAddress
        )
    }

    static let noForwardingHeader = HTTPField.Name("X-Vault-No-Request-Forwarding")!
    static let tokenHeader = HTTPField.Name("X-Vault-Token")!
    static let wrapTTLHeader = HTTPField.Name("X-Vault-Wrap-TTL")!

    static func isTrue(_ value: String?) -> Bool {
        guard let value else { return false }
        return ["1", "t", "T", "true", "TRUE", "True"].contains(value)
    }

    // MARK: response

    func encode(_ response: Core.Response, head: Bool) -> ForwardedHTTPResponse {
        switch response.body {
        case .none:
            return ForwardedHTTPResponse(status: response.status, headers: Self.headers(json: false), body: [])
        case .raw(let value):
            return jsonResponse(status: response.status, value: value, head: head)
        case .logical(let body):
            return jsonResponse(status: response.status, value: envelope(body), head: head)
        }
    }

    func envelope(_ body: LogicalBody) -> JSONValue {
        var object = body.envelope()
        // A wrapping answer carries no request id in Vault.
        object["request_id"] = .string(body.wrapInfo == nil ? body.requestID ?? CoreEnvironment.systemUUID() : "")
        return .object(object)
    }

    func errorResponse(_ error: CoreError) -> ForwardedHTTPResponse {
        let (code, messages) = VaultWireError.status(and: error)
        return jsonResponse(status: code, value: .object(["errors": .array(messages.map { .string($0) })]), head: false)
    }

    func jsonResponse(status: Int, value: JSONValue, head: Bool) -> ForwardedHTTPResponse {
        let headers = Self.headers(json: true)
        if head {
            return ForwardedHTTPResponse(status: status, headers: headers, body: [])
        }
        var bytes = value.serialized()
        bytes.append(0x0A)
        return ForwardedHTTPResponse(status: status, headers: headers, body: bytes)
    }

    static func headers(json: Bool) -> [(name: String, value: String)] {
        json ? [("Cache-Control", "no-store"), ("Content-Type", "application/json")] : [("Cache-Control", "no-store")]
    }

    static func hummingbird(_ response: ForwardedHTTPResponse) -> Hummingbird.Response {
        var fields = HTTPFields()
        for (name, value) in response.headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        let status = HTTPResponse.Status(code: response.status)
        if response.body.isEmpty {
            return Hummingbird.Response(status: status, headers: fields)
        }
        return Hummingbird.Response(
            status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: response.body)))
    }
}
