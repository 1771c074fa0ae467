import Crypto
import Foundation

/// The hash chain that links a device's audit lines (Coffer's addition to Vault's
/// format): each line ends with `"chain":{"seq":N,"prev":"sha256:<hex>"}`, where `seq`
/// counts the device's lines and `prev` is the SHA-256 of the previous line's bytes
/// (prefix included, newline excluded). An edited line breaks the next line's `prev`,
/// a removed line leaves a gap in `seq`, and moved lines put `seq` out of order.
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
    /// `prefix`, and advances. The result has no newline.
    public mutating func seal(entry: [UInt8], prefix: [UInt8]) -> [UInt8] {
        var line = prefix
        line.append(contentsOf: entry.dropLast())
        let separator = entry.count > 2 ? "," : ""
        line.append(contentsOf: Array("\(separator)\"chain\":{\"seq\":\(nextSeq),\"prev\":\"\(previousHash)\"}}".utf8))
        nextSeq &+= 1
        previousHash = Self.hash(line)
        return line
    }

    static func hash(_ line: some Collection<UInt8>) -> String {
        "sha256:" + hex(SHA256.hash(data: Array(line)))
    }

    /// A line's chain field, read from its end.
    static func link(of line: some Collection<UInt8>) -> (seq: UInt64, prev: String)? {
        let text = String(decoding: Array(line), as: UTF8.self)
        guard let range = text.range(of: ",\"chain\":{\"seq\":", options: .backwards)
            ?? text.range(of: "{\"chain\":{\"seq\":", options: .backwards)
        else { return nil }
        let rest = text[range.upperBound...]
        guard let comma = rest.firstIndex(of: ","), let seq = UInt64(rest[..<comma]) else { return nil }
        let afterSeq = rest[comma...]
        let prevKey = ",\"prev\":\""
        guard afterSeq.hasPrefix(prevKey) else { return nil }
        let prevStart = afterSeq.index(afterSeq.startIndex, offsetBy: prevKey.count)
        guard let quote = afterSeq[prevStart...].firstIndex(of: "\"") else { return nil }
        let prev = String(afterSeq[prevStart..<quote])
        guard afterSeq[quote...] == "\"}}" else { return nil }
        return (seq, prev)
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
/// as the anchor (a rotated file starts mid-chain); lines cut from the very start or the
/// very end of a file, and an edit of the last line's content, cannot be seen from the
/// file alone.
public enum AuditChainVerifier {
    public static func verify(_ contents: [UInt8]) -> AuditChainFinding {
        var lines = contents.split(separator: 0x0A, omittingEmptySubsequences: false).map { Array($0) }
        if lines.last?.isEmpty == true { lines.removeLast() }
        var links: [(seq: UInt64, prev: String)] = []
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
}
