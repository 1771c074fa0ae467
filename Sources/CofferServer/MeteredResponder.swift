import API
import Core
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Telemetry

/// The API responder with metrics around it, and `sys/metrics` in Prometheus format.
///
/// Every request is counted by mount-level route, method and status, and timed. A
/// `GET /v1/sys/metrics` is first asked of the core (so the token and ACL apply as for any
/// `sys/` read, and it is audited); only a 2xx there returns the exposition as
/// `text/plain`. Labels carry no token, body value or full path.
struct MeteredResponder: HTTPResponder {
    typealias Context = CofferRequestContext

    let base: VaultHTTPResponder
    let core: CofferCore
    let metrics: CofferMetrics

    func respond(to request: Hummingbird.Request, context: Context) async throws -> Hummingbird.Response {
        let start = ContinuousClock.now
        let path = String(request.uri.path.dropFirst(4))
        let response: Hummingbird.Response
        if request.uri.path == "/v1/sys/metrics" && request.method == .get {
            response = try await metricsResponse(request, context: context)
        } else {
            response = try await base.respond(to: request, context: context)
        }
        metrics.recordRequest(
            route: request.uri.path.hasPrefix("/v1/") ? CofferMetrics.route(for: path) : "other",
            method: request.method.rawValue, status: response.status.code, duration: ContinuousClock.now - start)
        return response
    }

    private func metricsResponse(_ request: Hummingbird.Request, context: Context) async throws -> Hummingbird.Response {
        let check = try await base.respond(to: request, context: context)
        guard (200..<300).contains(check.status.code) else { return check }
        let gauges = await core.metricsGauges()
        metrics.setCoreState(
            initialized: gauges.initialized, unsealed: gauges.unsealed, tokens: gauges.tokens, leases: gauges.leases,
            standbyReads: (gauges.standbyReadsServed, gauges.standbyReadsForwarded))
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4"
        headers[.cacheControl] = "no-store"
        return Hummingbird.Response(
            status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.exposition())))
    }
}
