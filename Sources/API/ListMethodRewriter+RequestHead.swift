import NIOCore

/// The pure, byte-level part of ``ListMethodRewriter``: finding the end of a request head, rewriting its request
/// line and reading just enough of its header block to know where the body ends.
extension ListMethodRewriter {
    /// How the bytes after a request head are framed, as far as the rewriter can tell.
    enum Framing: Equatable {
        /// A body of exactly `length` bytes (0 when the request has no `Content-Length`, RFC 9112 §6.3).
        case body(length: Int)
        /// The rewriter cannot follow the framing; the connection must switch to pass-through.
        case unfollowable
    }

    /// The result of looking at one complete request head.
    struct HeadInspection: Equatable {
        /// The head with its request line rewritten, or `nil` when it is forwarded unchanged.
        var rewritten: [UInt8]?
        var framing: Framing
    }

    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let colon = UInt8(ascii: ":")
    static let question = UInt8(ascii: "?")
    static let ampersand = UInt8(ascii: "&")
    static let listMethod = Array("LIST".utf8)
    static let connectMethod = Array("CONNECT".utf8)
    static let versionPrefix = Array("HTTP/1.".utf8)
    static let getMethod = Array("GET".utf8)
    static let listQuery = Array("list=true".utf8)
    static let maxContentLengthDigits = 15

    /// The length of the request head at the start of `buffer`'s readable bytes, through the empty line that ends
    /// it (CRLF CRLF, or bare LF line endings), or `nil` if the head is not complete yet.
    ///
    /// - Parameter start: offset from which to look for the line feed that begins the terminator; callers pass
    ///   an offset they have already searched up to, so a slowly arriving head is scanned in linear time.
    static func headLength(in buffer: ByteBuffer, from start: Int) -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            var index = max(0, start)
            while index < bytes.count {
                if bytes[index] == lf {
                    let next = index + 1
                    if next < bytes.count, bytes[next] == lf {
                        return next + 1
                    }
                    if next + 1 < bytes.count, bytes[next] == cr, bytes[next + 1] == lf {
                        return next + 2
                    }
                }
                index += 1
            }
            return nil
        }
    }

    /// Rewrites a complete request head if it is a `LIST` request and reads its body framing.
    ///
    /// A head whose request line is not `<method> SP <target> SP HTTP/1.x` is never rewritten and is reported
    /// ``Framing/unfollowable``: the HTTP decoder is left to reject it.
    static func inspect(_ head: [UInt8]) -> HeadInspection {
        guard let lineEnd = head.firstIndex(of: lf) else {
            return HeadInspection(rewritten: nil, framing: .unfollowable)
        }
        var line = head[..<lineEnd]
        if line.last == cr {
            line = line.dropLast()
        }
        guard let firstSpace = line.firstIndex(of: space) else {
            return HeadInspection(rewritten: nil, framing: .unfollowable)
        }
        let method = line[..<firstSpace]
        let targetStart = firstSpace + 1
        guard let secondSpace = line[targetStart...].firstIndex(of: space), secondSpace > targetStart,
            line[(secondSpace + 1)...].starts(with: versionPrefix)
        else {
            return HeadInspection(rewritten: nil, framing: .unfollowable)
        }
        let framing: Framing =
            method.elementsEqual(connectMethod) ? .unfollowable : bodyFraming(headers: head[(lineEnd + 1)...])
        guard method.elementsEqual(listMethod) else {
            return HeadInspection(rewritten: nil, framing: framing)
        }
        let target = head[targetStart..<secondSpace]
        var rewritten: [UInt8] = []
        rewritten.reserveCapacity(head.count + listQuery.count + 1)
        rewritten.append(contentsOf: getMethod)
        rewritten.append(space)
        rewritten.append(contentsOf: target)
        if target.contains(question) {
            if target.last != question {
                rewritten.append(ampersand)
            }
        } else {
            rewritten.append(question)
        }
        rewritten.append(contentsOf: listQuery)
        rewritten.append(contentsOf: head[secondSpace...])
        return HeadInspection(rewritten: rewritten, framing: framing)
    }

    /// Reads the body framing from a header block (everything after the request line's LF).
    static func bodyFraming(headers: ArraySlice<UInt8>) -> Framing {
        var contentLength: Int?
        var rest = headers
        while let lineEnd = rest.firstIndex(of: lf) {
            var line = rest[..<lineEnd]
            rest = rest[(lineEnd + 1)...]
            if line.last == cr {
                line = line.dropLast()
            }
            guard let first = line.first else {
                break  // the empty line ending the head
            }
            // Obsolete line folding and header lines without a colon cannot be followed safely.
            guard first != space, first != tab, let colonIndex = line.firstIndex(of: colon) else {
                return .unfollowable
            }
            let name = line[..<colonIndex]
            if equalsIgnoringASCIICase(name, "transfer-encoding") || equalsIgnoringASCIICase(name, "upgrade") {
                return .unfollowable
            }
            guard equalsIgnoringASCIICase(name, "content-length") else {
                continue
            }
            var value = line[(colonIndex + 1)...]
            while let byte = value.first, byte == space || byte == tab { value = value.dropFirst() }
            while let byte = value.last, byte == space || byte == tab { value = value.dropLast() }
            guard !value.isEmpty, value.count <= maxContentLengthDigits,
                value.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            else {
                return .unfollowable
            }
            let length = value.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
            if let earlier = contentLength, earlier != length {
                return .unfollowable
            }
            contentLength = length
        }
        return .body(length: contentLength ?? 0)
    }

    /// ASCII case-insensitive comparison of a header name with a lowercase literal.
    static func equalsIgnoringASCIICase(_ bytes: ArraySlice<UInt8>, _ lowercase: String) -> Bool {
        bytes.elementsEqual(lowercase.utf8) { byte, expected in
            let lowered = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
            return lowered == expected
        }
    }
}
