#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A blocking plaintext TCP client on loopback, for checking that the TLS listener refuses non-TLS peers.
enum PlaintextProbe {
    enum Outcome: Equatable {
        case closedByServer
        case stillOpen
        case couldNotConnect
    }

    /// Connects to 127.0.0.1:`port`, writes `bytes`, and reads until the server closes (or 5 s pass).
    static func send(_ bytes: [UInt8], toPort port: Int) -> Outcome {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return .couldNotConnect }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return .couldNotConnect }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 { continue }  // a TLS alert, perhaps; keep reading until the close
            if count == 0 { return .closedByServer }
            return errno == EAGAIN || errno == EWOULDBLOCK ? .stillOpen : .closedByServer
        }
    }
}
