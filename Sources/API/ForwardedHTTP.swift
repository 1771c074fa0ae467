import Core

/// An HTTP request as a standby forwards it to the active node: enough to answer it there exactly as if
/// the client had sent it there (method, target, headers, body, and the client's address for CIDR checks).
/// Encoded as JSON with the body in base64; decoding refuses anything malformed.
public struct ForwardedHTTPRequest: Sendable, Equatable {
    public var method: String
    /// Path and query, e.g. `/v1/secret/data/a?version=2`.
    public var target: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var remoteAddress: String?

    public init(
        method: String, target: String, headers: [(name: String, value: String)], body: [UInt8],
        remoteAddress: String?
    ) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    public static func == (lhs: ForwardedHTTPRequest, rhs: ForwardedHTTPRequest) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.body == rhs.body
            && lhs.remoteAddress == rhs.remoteAddress
            && lhs.headers.map { [$0.name, $0.value] } == rhs.headers.map { [$0.name, $0.value] }
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public func encoded() -> [UInt8] {
        var object: [String: JSONValue] = [
            "method": .string(method),
            "target": .string(target),
            "headers": .array(headers.map { .array([.string($0.name), .string($0.value)]) }),
            "body": .string(Base64.encode(body)),
        ]
        if let remoteAddress { object["remote"] = .string(remoteAddress) }
        return JSONValue.object(object).serialized()
    }

    public static func decode(_ bytes: [UInt8]) -> ForwardedHTTPRequest? {
        guard let object = (try? JSONValue.parse(bytes))?.objectValue,
            let method = object["method"]?.stringValue, let target = object["target"]?.stringValue,
            let headerList = object["headers"]?.arrayValue,
            let body = object["body"]?.stringValue.flatMap(Base64.decode)
        else { return nil }
        guard let headers = decodeHeaders(headerList) else { return nil }
        return ForwardedHTTPRequest(
            method: method, target: target, headers: headers, body: body,
            remoteAddress: object["remote"]?.stringValue)
    }
}

/// The active node's answer to a forwarded request, returned to the client unchanged.
public struct ForwardedHTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func == (lhs: ForwardedHTTPResponse, rhs: ForwardedHTTPResponse) -> Bool {
        lhs.status == rhs.status && lhs.body == rhs.body
            && lhs.headers.map { [$0.name, $0.value] } == rhs.headers.map { [$0.name, $0.value] }
    }

    public func encoded() -> [UInt8] {
        JSONValue.object([
            "status": .int(Int64(status)),
            "headers": .array(headers.map { .array([.string($0.name), .string($0.value)]) }),
            "body": .string(Base64.encode(body)),
        ]).serialized()
    }

    public static func decode(_ bytes: [UInt8]) -> ForwardedHTTPResponse? {
        guard let object = (try? JSONValue.parse(bytes))?.objectValue,
            case .int(let status)? = object["status"], (100...599).contains(status),
            let headerList = object["headers"]?.arrayValue,
            let body = object["body"]?.stringValue.flatMap(Base64.decode)
        else { return nil }
        guard let headers = decodeHeaders(headerList) else { return nil }
        return ForwardedHTTPResponse(status: Int(status), headers: headers, body: body)
    }
}

/// `[[name, value], ...]` back into header pairs; nil when any item is not a pair of strings.
func decodeHeaders(_ list: [JSONValue]) -> [(name: String, value: String)]? {
    var headers: [(name: String, value: String)] = []
    for item in list {
        guard let pair = item.arrayValue, pair.count == 2, let name = pair[0].stringValue,
            let value = pair[1].stringValue
        else { return nil }
        headers.append((name, value))
    }
    return headers
}

/// Standard base64 without Foundation's Data round trip.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = Int8(index) }
        return table
    }()

    static func encode(_ bytes: [UInt8]) -> String {
        var output = [UInt8]()
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 2 < bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            for shift in [18, 12, 6, 0] { output.append(alphabet[Int(chunk >> UInt32(shift) & 63)]) }
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            var chunk = UInt32(bytes[index]) << 16
            if rest == 2 { chunk |= UInt32(bytes[index + 1]) << 8 }
            output.append(alphabet[Int(chunk >> 18 & 63)])
            output.append(alphabet[Int(chunk >> 12 & 63)])
            output.append(rest == 2 ? alphabet[Int(chunk >> 6 & 63)] : UInt8(ascii: "="))
            output.append(UInt8(ascii: "="))
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 == 0 else { return nil }
        var output = [UInt8]()
        output.reserveCapacity(input.count / 4 * 3)
        var index = 0
        while index < input.count {
            var chunk: UInt32 = 0
            var padding = 0
            for offset in 0..<4 {
                let byte = input[index + offset]
                if byte == UInt8(ascii: "=") && index + 4 == input.count && offset >= 2 {
                    padding += 1
                    chunk <<= 6
                    continue
                }
                guard padding == 0 else { return nil }
                let value = values[Int(byte)]
                guard value >= 0 else { return nil }
                chunk = chunk << 6 | UInt32(value)
            }
            output.append(UInt8(chunk >> 16 & 0xFF))
            if padding < 2 { output.append(UInt8(chunk >> 8 & 0xFF)) }
            if padding < 1 { output.append(UInt8(chunk & 0xFF)) }
            index += 4
        }
        return output
    }
}
