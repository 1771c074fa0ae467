import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Streams a snapshot archive between a file and the API (`sys/storage/raft/snapshot[-force]`) without
/// holding it in memory, drawing a progress bar on stderr when stderr is a terminal. Redirects from a standby
/// to the active node are followed here, keeping the method and body for 307 and 308 (the file is read again
/// from the start), as URLSession did.
enum SnapshotTransfer {
    struct Outcome {
        var status: Int
        var errorBody: [UInt8]
        var bytes: Int64
    }

    /// Redirects followed before giving up.
    static let maximumRedirects = 10
    /// The most of a non-200 answer's body kept for the error message.
    static let maximumErrorBody = 1 << 20
    /// How much of the file is read for each piece of the upload.
    static let uploadChunk = 256 << 10

    /// GETs `request` into `file` (created 0600, truncated); on a non-200 answer the body is returned instead.
    static func download(_ request: TransferRequest, to file: String) async throws -> Outcome {
        let progress = ProgressBar.forStandardError(label: "Saving snapshot")
        guard FileManager.default.createFile(atPath: file, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = FileHandle(forWritingAtPath: file)
        else { throw CLIError.request("could not create \(file)") }
        defer { try? handle.close() }
        let response = try await send(request, body: nil)
        let status = Int(response.status.code)
        guard status == 200 else {
            return Outcome(status: status, errorBody: try await errorBody(of: response), bytes: 0)
        }
        let expected = response.headers.first(name: "content-length").flatMap { Int64($0) } ?? -1
        var transferred: Int64 = 0
        for try await chunk in response.body {
            try chunk.withUnsafeReadableBytes { bytes in try handle.write(contentsOf: bytes) }
            transferred += Int64(chunk.readableBytes)
            progress?.update(done: transferred, total: expected)
        }
        progress?.finish()
        return Outcome(status: status, errorBody: [], bytes: transferred)
    }

    /// POSTs the contents of `file` to `request`, streamed from disk.
    static func upload(_ request: TransferRequest, from file: String) async throws -> Outcome {
        let progress = ProgressBar.forStandardError(label: "Restoring snapshot")
        let size = try Int64(
            (FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value ?? 0)
        let sent = SentCounter()
        let response = try await send(request) {
            sent.reset()
            let chunks = FileChunks(path: file, chunkSize: uploadChunk) { count in
                let total = sent.add(count)
                progress?.update(done: total, total: size)
            }
            return .stream(chunks, length: .known(size))
        }
        let status = Int(response.status.code)
        let body = try await errorBody(of: response)
        progress?.finish()
        return Outcome(status: status, errorBody: body, bytes: sent.value)
    }

    /// Sends `request`, following redirects: 307 and 308 keep the method and send the body again (`body` makes
    /// a fresh one for each attempt); 303, and 301 or 302 after a POST, continue as a GET without a body.
    private static func send(
        _ request: TransferRequest, body: (() throws -> HTTPClientRequest.Body)?
    ) async throws -> HTTPClientResponse {
        var current = request
        var withBody = body != nil
        var redirects = 0
        while true {
            var outgoing = HTTPClientRequest(url: current.url.absoluteString)
            outgoing.method = HTTPMethod(rawValue: current.method)
            outgoing.headers = current.headers
            if withBody, let body { outgoing.body = try body() }
            let response = try await HTTPClients.client(.transfer).execute(outgoing, deadline: .distantFuture)
            let code = Int(response.status.code)
            guard [301, 302, 303, 307, 308].contains(code),
                let location = response.headers.first(name: "location"),
                let target = URL(string: location, relativeTo: current.url)?.absoluteURL,
                let scheme = target.scheme?.lowercased(), ["http", "https"].contains(scheme), target.host != nil
            else { return response }
            redirects += 1
            guard redirects <= maximumRedirects else {
                throw CLIError.request("stopped after \(maximumRedirects) redirects")
            }
            for try await _ in response.body {}  // the redirect's own body is not wanted
            if (code == 303 && current.method != "HEAD") || ((code == 301 || code == 302) && current.method == "POST") {
                current.method = "GET"
                withBody = false
                current.headers.remove(name: "Content-Length")
                current.headers.remove(name: "Content-Type")
            }
            current.url = target
        }
    }

    /// Up to `maximumErrorBody` bytes of an answer's body; the rest is read and dropped.
    private static func errorBody(of response: HTTPClientResponse) async throws -> [UInt8] {
        var kept: [UInt8] = []
        for try await chunk in response.body where kept.count < maximumErrorBody {
            kept.append(contentsOf: chunk.readableBytesView.prefix(maximumErrorBody - kept.count))
        }
        return kept
    }
}

/// A request for a snapshot transfer: where, which method, and the headers (the client token among them).
struct TransferRequest {
    var method: String
    var url: URL
    var headers: HTTPHeaders
}

/// Bytes of the upload handed to the client so far (reset when a redirect starts the body again).
private final class SentCounter: @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    private let lock = NSLock()
    private var total: Int64 = 0

    func reset() { lock.withLock { total = 0 } }
    func add(_ count: Int) -> Int64 { lock.withLock { total += Int64(count); return total } }
    var value: Int64 { lock.withLock { total } }
}

/// A file read from the start in pieces of `chunkSize` bytes, each time it is iterated.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let chunkSize: Int
    let onRead: @Sendable (Int) -> Void

    func makeAsyncIterator() -> Iterator { Iterator(path: path, chunkSize: chunkSize, onRead: onRead) }

    final class Iterator: AsyncIteratorProtocol {
        private let path: String
        private let chunkSize: Int
        private let onRead: @Sendable (Int) -> Void
        private var handle: FileHandle?
        private var done = false

        init(path: String, chunkSize: Int, onRead: @escaping @Sendable (Int) -> Void) {
            self.path = path
            self.chunkSize = chunkSize
            self.onRead = onRead
        }

        deinit { try? handle?.close() }

        func next() async throws -> ByteBuffer? {
            guard !done else { return nil }
            if handle == nil {
                guard let opened = FileHandle(forReadingAtPath: path) else {
                    throw CLIError.request("open \(path): could not be read")
                }
                handle = opened
            }
            guard let data = try handle?.read(upToCount: chunkSize), !data.isEmpty else {
                done = true
                try? handle?.close()
                handle = nil
                return nil
            }
            onRead(data.count)
            return ByteBuffer(bytes: data)
        }
    }
}

/// A one-line progress bar redrawn in place on stderr (at most ten times a second).
final class ProgressBar: @unchecked Sendable {
    // @unchecked: a transfer updates it from one task at a time, never concurrently.
    private let label: String
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(label: String) { self.label = label }

    /// A bar labelled `label` when stderr is a terminal, `nil` otherwise.
    static func forStandardError(label: String) -> ProgressBar? {
        isatty(STDERR_FILENO) == 1 ? ProgressBar(label: label) : nil
    }

    func update(done: Int64, total: Int64) {
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        draw(done: done, total: total)
    }

    private func draw(done: Int64, total: Int64) {
        drawn = true
        let megabytes = String(format: "%.1f MiB", Double(done) / 1_048_576)
        var line = "\r\(label): "
        if total > 0 {
            let fraction = min(1, Double(done) / Double(total))
            let width = 30
            let filled = Int(fraction * Double(width))
            line += "[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] "
            line += String(format: "%3d%% ", Int(fraction * 100)) + megabytes
        } else {
            line += megabytes
        }
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

extension VaultClient {
    /// A request for `path` with the client token, for transfers that stream their bodies.
    func request(_ method: String, _ path: String) throws(ClientError) -> TransferRequest {
        var headers = HTTPHeaders()
        headers.add(name: "X-Vault-Request", value: "true")
        if let token = configuration.token, !token.isEmpty {
            headers.add(name: "X-Vault-Token", value: token)
        }
        return TransferRequest(method: method, url: try url(for: path), headers: headers)
    }
}
