import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Streams a snapshot archive between a file and the API (`sys/storage/raft/snapshot[-force]`) without
/// holding it in memory, drawing a progress bar on stderr when stderr is a terminal. Redirects from a standby
/// to the active node are followed (URLSession does, keeping the method and body for 307).
final class SnapshotTransfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    // @unchecked: every field is touched only from the session's serial delegate queue, or after the
    // continuation resumed (when the session is done with it).
    private var continuation: CheckedContinuation<Void, any Error>?
    private var output: FileHandle?
    private var status = 0
    private var errorBody: [UInt8] = []
    private var transferred: Int64 = 0
    private var expected: Int64 = 0
    private let progress: ProgressBar?

    private init(label: String) {
        progress = isatty(STDERR_FILENO) == 1 ? ProgressBar(label: label) : nil
    }

    struct Outcome {
        var status: Int
        var errorBody: [UInt8]
        var bytes: Int64
    }

    /// GETs `url` into `file` (created 0600, truncated); on a non-200 answer the body is returned instead.
    static func download(_ request: URLRequest, to file: String) async throws -> Outcome {
        let transfer = SnapshotTransfer(label: "Saving snapshot")
        guard FileManager.default.createFile(atPath: file, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = FileHandle(forWritingAtPath: file)
        else { throw CLIError.request("could not create \(file)") }
        transfer.output = handle
        defer { try? handle.close() }
        try await transfer.run { session in session.dataTask(with: request) }
        return Outcome(status: transfer.status, errorBody: transfer.errorBody, bytes: transfer.transferred)
    }

    /// POSTs the contents of `file` to `url`, streamed from disk.
    static func upload(_ request: URLRequest, from file: String) async throws -> Outcome {
        let transfer = SnapshotTransfer(label: "Restoring snapshot")
        try await transfer.run { session in session.uploadTask(with: request, fromFile: URL(fileURLWithPath: file)) }
        return Outcome(status: transfer.status, errorBody: transfer.errorBody, bytes: transfer.transferred)
    }

    private func run(_ makeTask: @escaping @Sendable (URLSession) -> URLSessionTask) async throws {
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: .default, delegate: self, delegateQueue: queue)
        defer { session.finishTasksAndInvalidate() }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            queue.addOperation {
                self.continuation = continuation
                makeTask(session).resume()
            }
        }
        progress?.finish()
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        if let http = response as? HTTPURLResponse {
            status = http.statusCode
            if output != nil { expected = http.expectedContentLength }
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard status == 200, let output else {
            if errorBody.count < 1 << 20 { errorBody.append(contentsOf: data) }
            return
        }
        output.write(data)
        transferred += Int64(data.count)
        progress?.update(done: transferred, total: expected)
    }

    func urlSession(
        _ session: URLSession, task: URLSessionTask, didSendBodyData bytesSent: Int64, totalBytesSent: Int64,
        totalBytesExpectedToSend: Int64
    ) {
        transferred = totalBytesSent
        progress?.update(done: totalBytesSent, total: totalBytesExpectedToSend)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if let error { continuation?.resume(throwing: error) } else { continuation?.resume() }
        continuation = nil
    }
}

/// A one-line progress bar redrawn in place on stderr (at most ten times a second).
final class ProgressBar {
    private let label: String
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(label: String) { self.label = label }

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
    func request(_ method: String, _ path: String) throws(ClientError) -> URLRequest {
        var request = URLRequest(url: try url(for: path))
        request.httpMethod = method
        request.timeoutInterval = 3600
        request.setValue("true", forHTTPHeaderField: "X-Vault-Request")
        if let token = configuration.token, !token.isEmpty {
            request.setValue(token, forHTTPHeaderField: "X-Vault-Token")
        }
        return request
    }
}
