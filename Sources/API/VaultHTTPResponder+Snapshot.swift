import Core
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The two streaming endpoints: `GET sys/storage/raft/snapshot` (save) and `POST|PUT
/// sys/storage/raft/snapshot[-force]` (restore). Each call passes through the core first as an ordinary
/// request (token, ACL, audit, active node); the core's answer is a ticket redeemed with `SnapshotTransfers`
/// for the archive file. Bodies stream in 1 MiB pieces, so memory stays flat whatever the archive's size.
/// On a standby the client is redirected (307) to the active node: archives exceed the cluster transport's
/// frame limit, so they are not forwarded.
extension VaultHTTPResponder {
    static let snapshotPaths: Set<String> = ["/v1/sys/storage/raft/snapshot", "/v1/sys/storage/raft/snapshot-force"]

    /// Nil when `request` is not a streaming snapshot call (it then takes the ordinary path).
    func respondToSnapshot(_ request: Hummingbird.Request, context: Context) async -> Hummingbird.Response? {
        guard let snapshots, Self.snapshotPaths.contains(request.uri.path) else { return nil }
        let isForce = request.uri.path.hasSuffix("-force")
        switch request.method {
        case .get where !isForce:
            if Self.isTrue(request.uri.queryParameters["list"].map(String.init)) { return nil }
            return await saveSnapshot(request, context: context, snapshots: snapshots)
        case .post, .put:
            return await restoreSnapshot(request, context: context, snapshots: snapshots)
        default:
            return nil
        }
    }

    private func head(_ request: Hummingbird.Request, context: Context, body: [UInt8]) -> ForwardedHTTPRequest {
        var target = request.uri.path
        if let query = request.uri.query, !query.isEmpty { target += "?" + query }
        return ForwardedHTTPRequest(
            method: request.method.rawValue, target: target,
            headers: request.headers.map { ($0.name.rawName, $0.value) }, body: body,
            remoteAddress: context.remoteAddress?.ipAddress)
    }

    /// Runs `parts` through the core; a standby's `.standby` becomes a redirect to the active node.
    private func authorize(
        _ parts: ForwardedHTTPRequest, snapshots: any SnapshotTransfers
    ) async -> SnapshotAuthorization {
        do {
            let response = try await core.handle(try translate(parts))
            guard case .logical(let body) = response.body, let data = body.data else {
                return .answered(Self.hummingbird(encode(response, head: false)))
            }
            return .granted(data)
        } catch let error as CoreError {
            if case .standby = error, let active = await snapshots.activeNodeAddress(), !active.isEmpty {
                var fields = HTTPFields()
                fields[.location] = active + parts.target
                fields[.cacheControl] = "no-store"
                return .answered(Hummingbird.Response(status: .temporaryRedirect, headers: fields))
            }
            return .answered(Self.hummingbird(errorResponse(error)))
        } catch {
            return .answered(Self.hummingbird(errorResponse(.internal("internal error"))))
        }
    }

    private func saveSnapshot(
        _ request: Hummingbird.Request, context: Context, snapshots: any SnapshotTransfers
    ) async -> Hummingbird.Response {
        let data: [String: JSONValue]
        switch await authorize(head(request, context: context, body: []), snapshots: snapshots) {
        case .answered(let response): return response
        case .granted(let answer): data = answer
        }
        guard let ticket = data[SnapshotTicketField.archive]?.stringValue,
            let archive = await snapshots.takeArchive(ticket)
        else {
            return Self.hummingbird(errorResponse(.internal("the snapshot archive is missing")))
        }
        var fields = HTTPFields()
        fields[.contentType] = "application/gzip"
        fields[.cacheControl] = "no-store"
        let path = archive.path
        let body = ResponseBody(contentLength: Int(archive.size)) { writer in
            defer { try? FileManager.default.removeItem(atPath: path) }
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                try await writer.write(ByteBuffer(bytes: chunk))
            }
            try await writer.finish(nil)
        }
        return Hummingbird.Response(status: .ok, headers: fields, body: body)
    }

    private func restoreSnapshot(
        _ request: Hummingbird.Request, context: Context, snapshots: any SnapshotTransfers
    ) async -> Hummingbird.Response {
        // First pass through the core: authorise before accepting the body.
        let ticket: String
        switch await authorize(head(request, context: context, body: Array("{}".utf8)), snapshots: snapshots) {
        case .answered(let response): return response
        case .granted(let answer):
            guard let value = answer[SnapshotTicketField.upload]?.stringValue else {
                return Self.hummingbird(errorResponse(.internal("no upload ticket")))
            }
            ticket = value
        }
        guard let path = await snapshots.uploadPath(ticket) else {
            return Self.hummingbird(errorResponse(.internal("no upload ticket")))
        }
        do {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
            else { throw CoreError.internal("could not store the uploaded snapshot") }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            for try await buffer in request.body {
                try handle.write(contentsOf: buffer.readableBytesView)
            }
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            return Self.hummingbird(errorResponse(.badRequest("failed to read the snapshot: \(error)")))
        }
        // Second pass: install what was uploaded.
        let install = JSONValue.object([SnapshotTicketField.upload: .string(ticket)]).serialized()
        switch await authorize(head(request, context: context, body: install), snapshots: snapshots) {
        case .answered(let response): return response
        case .granted: return Hummingbird.Response(status: .noContent)
        }
    }
}

/// The core's verdict on a snapshot call: its data (with the ticket), or the answer to send instead.
enum SnapshotAuthorization {
    case granted([String: JSONValue])
    case answered(Hummingbird.Response)
}
