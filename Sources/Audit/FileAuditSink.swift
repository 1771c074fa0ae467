import Glibc

/// The `file` device's destination: a file opened for append (created with `mode`,
/// default 0600), or `stdout`, or `discard`.
///
/// Before each write it checks that the path still names the open file; if the file
/// was moved away or deleted (log rotation), it opens the path again, so rotation works
/// with or without a SIGHUP. A failed open or write throws; the next write retries.
final class FileAuditSink: AuditSink {
    enum Target: Equatable {
        case file(String)
        case stdout
        case discard
    }

    let target: Target
    /// nil: leave the mode alone (Vault's `mode = "0000"`).
    let mode: mode_t?
    private var fd: Int32 = -1

    init(options: [String: String]) {
        let path = options["file_path"] ?? options["path"] ?? ""
        switch path {
        case "stdout": target = .stdout
        case "discard": target = .discard
        default: target = .file(path)
        }
        let parsed = options["mode"].flatMap { mode_t($0, radix: 8) } ?? 0o600
        mode = parsed == 0 ? nil : parsed
    }

    deinit { close() }

    func write(_ line: [UInt8]) throws(AuditSinkError) {
        switch target {
        case .discard: return
        case .stdout: try writeAll(STDOUT_FILENO, line)
        case .file:
            if fd < 0 || !pathStillNamesOpenFile() {
                try reopen()
            }
            do {
                try writeAll(fd, line)
            } catch {
                close()
                throw error
            }
        }
    }

    func reopen() throws(AuditSinkError) {
        close()
        guard case .file(let path) = target else { return }
        let opened = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, mode ?? 0o600)
        guard opened >= 0 else { throw .errno("open \(path)") }
        var info = stat()
        guard fstat(opened, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            Glibc.close(opened)
            throw AuditSinkError(description: "open \(path): not a regular file")
        }
        if let mode, info.st_mode & 0o7777 != mode {
            guard fchmod(opened, mode) == 0 else {
                let code = errno
                Glibc.close(opened)
                throw .errno("chmod \(path)", code)
            }
        }
        fd = opened
    }

    func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    private func pathStillNamesOpenFile() -> Bool {
        guard case .file(let path) = target else { return true }
        var byPath = stat()
        var byFD = stat()
        guard stat(path, &byPath) == 0, fstat(fd, &byFD) == 0 else { return false }
        return byPath.st_ino == byFD.st_ino && byPath.st_dev == byFD.st_dev
    }

    /// Reads back from the end of the file until a whole last line is found (64 KiB at
    /// most per step, 16 MiB in all).
    func lastLine() -> [UInt8]? {
        guard case .file(let path) = target else { return nil }
        let reader = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard reader >= 0 else { return nil }
        defer { Glibc.close(reader) }
        let size = lseek(reader, 0, SEEK_END)
        guard size > 0 else { return nil }
        var tail: [UInt8] = []
        var position = Int(size)
        while position > 0 && tail.count < 16 << 20 {
            let step = min(64 << 10, position)
            position -= step
            var chunk = [UInt8](repeating: 0, count: step)
            let read = chunk.withUnsafeMutableBytes { pread(reader, $0.baseAddress, step, off_t(position)) }
            guard read == step else { return nil }
            tail = chunk + tail
            var body = tail
            if body.last == 0x0A { body.removeLast() }
            if let newline = body.lastIndex(of: 0x0A) {
                return Array(body[(newline + 1)...])
            }
            if position == 0 { return body.isEmpty ? nil : body }
        }
        return nil
    }
}
