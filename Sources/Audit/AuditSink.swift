import Glibc

/// Where a device's lines go. Owned by one ``AuditDevices`` actor, which serialises
/// every call; a sink is not shared.
protocol AuditSink: AnyObject {
    /// Writes one whole line (the newline included) or throws; a failed sink retries
    /// opening on the next write.
    func write(_ line: [UInt8]) throws(AuditSinkError)
    /// Closes and opens again (SIGHUP, log rotation).
    func reopen() throws(AuditSinkError)
    func close()
    /// The last line already in the destination, to continue the hash chain.
    func lastLine() -> [UInt8]?
}

struct AuditSinkError: Error, Sendable, CustomStringConvertible {
    var description: String

    static func errno(_ action: String, _ code: Int32 = Glibc.errno) -> AuditSinkError {
        AuditSinkError(description: "\(action): \(String(cString: strerror(code)))")
    }
}

/// A test sink in memory; `failing` makes every write fail, as a full disk would.
final class MemoryAuditSink: AuditSink {
    var lines: [[UInt8]] = []
    var failing = false

    func write(_ line: [UInt8]) throws(AuditSinkError) {
        if failing { throw AuditSinkError(description: "memory sink set to fail") }
        lines.append(line)
    }

    func reopen() throws(AuditSinkError) {}
    func close() {}
    func lastLine() -> [UInt8]? { lines.last.map { Array($0.dropLast()) } }
}

/// Writes all of `bytes` to a file descriptor, retrying short writes and EINTR. On a
/// socket it sends with MSG_NOSIGNAL, so a closed peer is an error, not a SIGPIPE.
func writeAll(_ fd: Int32, _ bytes: [UInt8], isSocket: Bool = false) throws(AuditSinkError) {
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { buffer in
            isSocket
                ? send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                : Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
        }
        if written < 0 {
            if errno == EINTR { continue }
            throw .errno("write")
        }
        offset += written
    }
}
