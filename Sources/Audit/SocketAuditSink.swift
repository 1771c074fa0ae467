import Glibc

/// The `socket` device's destination: a TCP, UDP or Unix-domain socket, connected on
/// first use and again after a failure. `write_timeout` (Go duration, default 2s)
/// bounds each send, so a stalled collector fails the write instead of hanging it.
final class SocketAuditSink: AuditSink {
    let address: String
    let socketType: String
    let timeoutSeconds: Int
    private var fd: Int32 = -1

    init(options: [String: String]) {
        address = options["address"] ?? ""
        socketType = options["socket_type"] ?? "tcp"
        timeoutSeconds = Self.seconds(options["write_timeout"]) ?? 2
    }

    deinit { close() }

    func write(_ line: [UInt8]) throws(AuditSinkError) {
        if fd < 0 { try reopen() }
        do {
            try writeAll(fd, line, isSocket: true)
        } catch {
            // One reconnect: the collector may have restarted.
            try reopen()
            do {
                try writeAll(fd, line, isSocket: true)
            } catch {
                close()
                throw error
            }
        }
    }

    func reopen() throws(AuditSinkError) {
        close()
        let kind = socketType == "udp" ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)
        if socketType == "unix" {
            fd = try connectUnix(kind)
        } else {
            fd = try connectInet(kind)
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    func lastLine() -> [UInt8]? { nil }

    private func connectInet(_ kind: Int32) throws(AuditSinkError) -> Int32 {
        guard let colon = address.lastIndex(of: ":") else {
            throw AuditSinkError(description: "socket address \"\(address)\" must be host:port")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = String(address[address.index(after: colon)...])
        var hints = addrinfo()
        hints.ai_socktype = kind
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, port, &hints, &result) == 0, let first = result else {
            throw AuditSinkError(description: "socket address \"\(address)\" does not resolve")
        }
        defer { freeaddrinfo(result) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        var lastError: Int32 = 0
        while let info = entry {
            let socket = Glibc.socket(info.pointee.ai_family, kind | Int32(SOCK_CLOEXEC.rawValue), 0)
            if socket >= 0 {
                if Glibc.connect(socket, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return socket }
                lastError = errno
                Glibc.close(socket)
            }
            entry = info.pointee.ai_next
        }
        throw .errno("connect \(address)", lastError)
    }

    private func connectUnix(_ kind: Int32) throws(AuditSinkError) -> Int32 {
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        let path = Array(address.utf8)
        guard path.count < MemoryLayout.size(ofValue: socketAddress.sun_path) else {
            throw AuditSinkError(description: "socket path is too long")
        }
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { buffer in
            for (index, byte) in path.enumerated() { buffer[index] = byte }
        }
        let socket = Glibc.socket(AF_UNIX, kind | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw .errno("socket") }
        let connected = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            Glibc.close(socket)
            throw .errno("connect \(address)", code)
        }
        return socket
    }

    /// Go-style durations as Vault's options take them ("2s", "500ms", "1m"); whole seconds.
    static func seconds(_ text: String?) -> Int? {
        guard let text, !text.isEmpty else { return nil }
        if let plain = Int(text) { return plain }
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)) { return max(1, Int((value * scale).rounded(.up))) }
        }
        return nil
    }
}
