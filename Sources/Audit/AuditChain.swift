import Crypto
import Foundation

/// The hash chain that links a device's audit lines (Coffer's addition to Vault's
/// format): each line ends with
/// `"chain":{"seq":N,"prev":"sha256:<hex>","mac":"hmac-sha256:<hex>"}`, where `seq`
/// counts the device's lines, `prev` is the SHA-256 of the previous line's bytes (prefix
/// included, newline excluded), and `mac` is the device's HMAC (its salt, as
/// `sys/audit-hash` computes it) of the line's bytes up to and including `prev`'s value.
///
/// An edited line breaks the next line's `prev`, a removed line leaves a gap in `seq`,
/// and moved lines put `seq` out of order; all of that is checked without a key. The
/// `mac` of the last line, checked by the server that holds the salt, authenticates the
/// whole file through the chain: someone who rewrites the tail cannot make it match.
///
/// A value owned by one device: the device serialises its writes, so `seq` is dense.
public struct AuditChain: Sendable, Equatable {
    /// The seq the next line gets.
    public private(set) var nextSeq: UInt64
    /// The `prev` the next line carries ("" before the first line).
    public private(set) var previousHash: String

    public init(nextSeq: UInt64 = 1, previousHash: String = "") {
        self.nextSeq = nextSeq
        self.previousHash = previousHash
    }

    /// The chain continuing after `lastLine` (a line this device wrote earlier, read back
    /// from the end of its file on open).
    public init(continuingAfter lastLine: [UInt8]) {
        if let link = Self.link(of: lastLine) {
            self.init(nextSeq: link.seq &+ 1, previousHash: Self.hash(lastLine))
        } else {
            self.init(nextSeq: 1, previousHash: Self.hash(lastLine))
        }
    }

    /// Appends the chain field to `entry` (a JSON object's bytes, ending in `}`) after
    /// `prefix`, and advances. `mac` (the device's HMAC) signs the line up to `prev`; nil
    /// leaves the field out. The result has no newline.
    public mutating func seal(entry: [UInt8], prefix: [UInt8], mac: ((String) -> String)? = nil) -> [UInt8] {
        var line = prefix
        line.append(contentsOf: entry.dropLast())
        let separator = entry.count > 2 ? "," : ""
        line.append(contentsOf: Array("\(separator)\"chain\":{\"seq\":\(nextSeq),\"prev\":\"\(previousHash)\"".utf8))
        if let mac {
            let code = mac(String(decoding: line, as: UTF8.self))
            line.append(contentsOf: Array(",\"mac\":\"\(code)\"".utf8))
        }
        line.append(contentsOf: Array("}}".utf8))
        nextSeq &+= 1
        previousHash = Self.hash(line)
        return line
    }

    static func hash(_ line: some Collection<UInt8>) -> String {
        "sha256:" + hex(SHA256.hash(data: Array(line)))
    }

    /// A line's chain field, read from its end.
    static func link(of line: some Collection<UInt8>) -> Link? {
        let text = String(decoding: Array(line), as: UTF8.self)
        guard let range = text.range(of: "\"chain\":{\"seq\":", options: .backwards) else { return nil }
        guard range.lowerBound > text.startIndex,
            [",", "{"].contains(text[text.index(before: range.lowerBound)])
        else { return nil }
        let rest = text[range.upperBound...]
        guard let comma = rest.firstIndex(of: ","), let seq = UInt64(rest[..<comma]) else { return nil }
        var cursor = rest[comma...]
        guard let prev = Self.stringField("prev", in: &cursor) else { return nil }
        let signedEnd = cursor.startIndex
        let mac = Self.stringField("mac", in: &cursor)
        guard cursor == "}}" else { return nil }
        let signed = String(text[..<signedEnd])
        return Link(seq: seq, prev: prev, mac: mac, signed: signed)
    }

    /// Reads `,"name":"value"` at the start of `cursor` and moves past it.
    private static func stringField(_ name: String, in cursor: inout Substring) -> String? {
        let key = ",\"\(name)\":\""
        guard cursor.hasPrefix(key) else { return nil }
        let start = cursor.index(cursor.startIndex, offsetBy: key.count)
        guard let quote = cursor[start...].firstIndex(of: "\"") else { return nil }
        let value = String(cursor[start..<quote])
        cursor = cursor[cursor.index(after: quote)...]
        return value
    }

    /// A line's chain field. `signed` is the part of the line its `mac` covers.
    public struct Link: Sendable, Equatable {
        public var seq: UInt64
        public var prev: String
        public var mac: String?
        public var signed: String
    }
}

/// What ``AuditChainVerifier`` found in a file. Line numbers count from 1.
public enum AuditChainFinding: Sendable, Equatable, CustomStringConvertible {
    /// Every line links to the one before it.
    case intact(lines: Int)
    /// The line has no chain field Coffer could read.
    case malformed(line: Int)
    /// The line's content does not hash to the next line's `prev`: it was edited.
    case altered(line: Int)
    /// Lines with these seqs are missing just before `line`.
    case removed(beforeLine: Int, firstSeq: UInt64, lastSeq: UInt64)
    /// The line is out of order: its seq belongs earlier or later in the file.
    case reordered(line: Int)

    public var isIntact: Bool {
        if case .intact = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .intact(let lines): "ok: \(lines) lines, chain intact"
        case .malformed(let line): "line \(line): no readable chain field"
        case .altered(let line): "line \(line): altered (its hash does not match the next line's prev)"
        case .removed(let line, let first, let last):
            first == last
                ? "line \(line): line with seq \(first) removed before it"
                : "line \(line): lines with seq \(first)-\(last) removed before it"
        case .reordered(let line): "line \(line): out of order"
        }
    }
}

/// Checks an audit file's chain and reports the first break. The first line is taken
/// as the anchor (a rotated file starts mid-chain). From the file alone, lines cut from
/// its very start or end and an edit of its last line cannot be seen; the last line's
/// `mac`, checked by the server (``lastLink(_:)``), catches the edit and a rewritten tail.
public enum AuditChainVerifier {
    public static func verify(_ contents: [UInt8]) -> AuditChainFinding {
        let lines = Self.lines(contents)
        var links: [AuditChain.Link] = []
        for (index, line) in lines.enumerated() {
            guard let link = AuditChain.link(of: line) else { return .malformed(line: index + 1) }
            links.append(link)
        }
        let seqs = Set(links.map(\.seq))
        for index in links.indices.dropFirst() {
            let expected = links[index - 1].seq &+ 1
            let seq = links[index].seq
            if seq == expected {
                if links[index].prev != AuditChain.hash(lines[index - 1]) {
                    return .altered(line: index)
                }
                continue
            }
            if seq < expected {
                return .reordered(line: index + 1)
            }
            // A jump forward: the missing seq further down means lines were moved up.
            if links[(index + 1)...].contains(where: { $0.seq == expected }) || seqs.count < links.count {
                return .reordered(line: index + 1)
            }
            return .removed(beforeLine: index + 1, firstSeq: expected, lastSeq: seq - 1)
        }
        return .intact(lines: lines.count)
    }

    /// The file's lines, without newlines (a trailing newline ends the last line).
    public static func lines(_ contents: [UInt8]) -> [[UInt8]] {
        var lines = contents.split(separator: 0x0A, omittingEmptySubsequences: false).map { Array($0) }
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    /// The last line's chain link, whose `mac` a server holding the device's salt can check
    /// (`sys/audit-hash/NAME` of `signed` must equal `mac`).
    public static func lastLink(_ contents: [UInt8]) -> AuditChain.Link? {
        lines(contents).last.flatMap { AuditChain.link(of: $0) }
    }
}
