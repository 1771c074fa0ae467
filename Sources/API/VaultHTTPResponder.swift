import Core
import Foundation
import HTTPTypes
import Hummingbird
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

    public init(core: CofferCore, maxRequestSize: Int = VaultHTTPResponder.defaultMaxRequestSize, logger: Logger) {
        self.core = core
        self.maxRequestSize = maxRequestSize
        self.logger = logger
    }

    public func respond(to request: Hummingbird.Request, context: Context) async throws -> Hummingbird.Response {
        do {
            let coreRequest = try await translate(request, context: context)
            let response = try await core.handle(coreRequest)
            return encode(response, head: request.method == .head)
        } catch let error as CoreError {
            return errorResponse(error)
        } catch {
            return errorResponse(.internal("internal error"))
        }
    }

    // MARK: request

    func translate(_ request: Hummingbird.Request, context: Context) async throws -> Core.Request {
        let rawPath = request.uri.path
        guard rawPath.hasPrefix("/v1/") else {
            throw CoreError.notFound([])
        }
        let path = String(rawPath.dropFirst(4).drop(while: { $0 == "/" }))
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters {
            query[String(key)] = String(value)
        }
        let operation: Core.Operation
        switch request.method {
        case .get: operation = Self.isTrue(query["list"]) ? .list : .read
        case .put, .post: operation = .update
        case .delete: operation = .delete
        case .patch: operation = .patch
        case .head: operation = .head
        default:
            if request.method.rawValue == "LIST" {
                operation = .list
            } else {
                throw CoreError.methodNotAllowed
            }
        }
        var data: [String: JSONValue] = [:]
        switch operation {
        case .update, .patch:
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: maxRequestSize)
            } catch {
                throw CoreError.badRequest("failed to read request body: request body too large")
            }
            let parsed: JSONValue
            do {
                parsed = try JSONValue.parse(Array(buffer: body))
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
        var token = request.headers[Self.tokenHeader]
        if token == nil, let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer ") {
            token = String(authorization.dropFirst("Bearer ".count))
        }
        var wrapTTL: Duration?
        if let header = request.headers[Self.wrapTTLHeader] {
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
        let remote = context.remoteAddress?.ipAddress
        return Core.Request(
            operation: operation,
            path: path,
            data: data,
            query: query,
            clientToken: token,
            wrapTTL: wrapTTL,
            remoteAddress: remote
        )
    }

    static let tokenHeader = HTTPField.Name("X-Vault-Token")!
    static let wrapTTLHeader = HTTPField.Name("X-Vault-Wrap-TTL")!

    static func isTrue(_ value: String?) -> Bool {
        guard let value else { return false }
        return ["1", "t", "T", "true", "TRUE", "True"].contains(value)
    }

    // MARK: response

    func encode(_ response: Core.Response, head: Bool) -> Hummingbird.Response {
        let status = HTTPResponse.Status(code: response.status)
        switch response.body {
        case .none:
            return Hummingbird.Response(status: status, headers: Self.headers(json: false))
        case .raw(let value):
            return jsonResponse(status: status, value: value, head: head)
        case .logical(let body):
            return jsonResponse(status: status, value: envelope(body), head: head)
        }
    }

    func envelope(_ body: LogicalBody) -> JSONValue {
        var object = body.envelope()
        // A wrapping answer carries no request id in Vault.
        object["request_id"] = .string(body.wrapInfo == nil ? body.requestID ?? UUID().uuidString.lowercased() : "")
        return .object(object)
    }

    func errorResponse(_ error: CoreError) -> Hummingbird.Response {
        let (code, messages) = VaultWireError.status(and: error)
        return jsonResponse(
            status: HTTPResponse.Status(code: code),
            value: .object(["errors": .array(messages.map { .string($0) })]),
            head: false
        )
    }

    func jsonResponse(status: HTTPResponse.Status, value: JSONValue, head: Bool) -> Hummingbird.Response {
        var bytes = value.serialized()
        bytes.append(0x0A)
        let headers = Self.headers(json: true)
        if head {
            return Hummingbird.Response(status: status, headers: headers)
        }
        return Hummingbird.Response(
            status: status,
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }

    static func headers(json: Bool) -> HTTPFields {
        var fields = HTTPFields()
        fields[.cacheControl] = "no-store"
        if json {
            fields[.contentType] = "application/json"
        }
        return fields
    }
}
