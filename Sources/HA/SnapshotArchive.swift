import Crypto
import Foundation

/// Why a snapshot archive was refused. Each case names what is wrong in words an operator can act on.
public enum SnapshotArchiveError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The archive ends before its last member (or its gzip trailer).
    case truncated
    /// A checksum does not match: the bytes were altered after the archive was written.
    case corrupt(String)
    /// Not an archive this version can read (not gzip, compressed blocks, unknown members or format).
    case unsupported(String)
    /// The sealed checksum was made under another root key: a snapshot of another cluster.
    case otherCluster
    /// Reading or writing the file failed.
    case io(String)

    public var description: String {
        switch self {
        case .truncated: "the snapshot is truncated (it ends before its last member)"
        case .corrupt(let what): "the snapshot is corrupt: \(what)"
        case .unsupported(let what): "the snapshot is not in a format Coffer reads: \(what)"
        case .otherCluster:
            "the snapshot was sealed under a different root key (taken on another cluster); "
                + "use snapshot-force to install it anyway"
        case .io(let what): "snapshot file error: \(what)"
        }
    }
}

/// What `meta.json` of an archive says.
public struct SnapshotArchiveMetadata: Codable, Equatable, Sendable {
    public var id: String
    public var index: UInt64
    public var term: UInt64
    /// Bytes of `state.bin`.
    public var size: UInt64
    public var version: Int
    public var format: String
    public var records: UInt64
    /// SHA-256 over the archived pairs, the same digest `NodeStore.contentHash()` gives for the live state.
    public var contentHash: String
    public var createdAt: String

    enum CodingKeys: String, CodingKey {
        case id = "ID", index = "Index", term = "Term", size = "Size", version = "Version", format = "Format"
        case records = "Records", contentHash = "ContentHash", createdAt = "CreatedAt"
    }

    public static let stateFormat = "coffer-state-v1"
}

/// The archive layout, OpenBao's: a gzip'd tar of `meta.json`, `state.bin`, `SHA256SUMS` and
/// `SHA256SUMS.sealed`, in that order (the `bao` CLI checks that the last member is present and non-empty).
///
/// - `state.bin`: the state machine's (key, value) pairs in key order, each as two 32-bit big-endian
///   length-prefixed byte strings. Values are barrier ciphertext; `raft/` keys (membership, restore staging)
///   are not archived.
/// - `SHA256SUMS`: `sha256sum` lines for `meta.json` and `state.bin`.
/// - `SHA256SUMS.sealed`: `hmac-sha256:<hex>` of `SHA256SUMS` under a key derived from the root key
///   (`Barrier.snapshotSeal`).
///
/// The gzip stream uses stored (uncompressed) deflate blocks: the payload is ciphertext, which does not
/// compress, and any gzip reader accepts them. The reader accepts only stored blocks.
enum SnapshotArchive {
    static let members = ["meta.json", "state.bin", "SHA256SUMS", "SHA256SUMS.sealed"]
    static let sealedPrefix = "hmac-sha256:"

    static func sums(meta: [UInt8], stateDigest: String) -> [UInt8] {
        let metaDigest = hex(SHA256.hash(data: meta))
        return Array("\(metaDigest)  meta.json\n\(stateDigest)  state.bin\n".utf8)
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    static func encodeMeta(_ metadata: SnapshotArchiveMetadata) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try Array(encoder.encode(metadata))
    }

    static func sealedMember(_ mac: [UInt8]) -> [UInt8] { Array((sealedPrefix + hex(mac)).utf8) }

    /// Writes an archive at `path` (created 0600, must not exist, fsync'd) from a `state.bin` already on disk.
    /// `sealed` is the sealed checksum (`Barrier.snapshotSeal`) of `sums(meta:stateDigest:)`.
    static func write(
        to path: String, meta: [UInt8], stateFile: String, stateSize: UInt64, sums: [UInt8], sealed: [UInt8]
    ) throws {
        let output = try SnapshotFile.create(path)
        defer { output.close() }
        var gzip = GzipStoredWriter(output: output)
        let tar = TarWriter()
        try gzip.write(tar.header(name: "meta.json", size: UInt64(meta.count)))
        try gzip.write(meta)
        try gzip.write(tar.padding(after: UInt64(meta.count)))
        try gzip.write(tar.header(name: "state.bin", size: stateSize))
        let input = try SnapshotFile.open(stateFile)
        defer { input.close() }
        var copied: UInt64 = 0
        while let chunk = try input.read(1 << 20) {
            copied += UInt64(chunk.count)
            try gzip.write(chunk)
        }
        guard copied == stateSize else { throw SnapshotArchiveError.io("state.bin changed while archived") }
        try gzip.write(tar.padding(after: copied))
        let sealedBytes = sealedMember(sealed)
        for (name, bytes) in [("SHA256SUMS", sums), ("SHA256SUMS.sealed", sealedBytes)] {
            try gzip.write(tar.header(name: name, size: UInt64(bytes.count)))
            try gzip.write(bytes)
            try gzip.write(tar.padding(after: UInt64(bytes.count)))
        }
        try gzip.write([UInt8](repeating: 0, count: 1024))
        try gzip.finish()
        try output.sync()
    }

    /// What reading a whole archive established: everything but the sealed checksum, which needs the
    /// barrier (`isSealed(by:)`).
    struct Verified: Sendable {
        var metadata: SnapshotArchiveMetadata
        var sums: [UInt8]
        var sealed: [UInt8]

        /// Whether `mac` (the barrier's seal of `sums`) is the archive's sealed checksum (constant time).
        func isSealed(by mac: [UInt8]) -> Bool {
            SnapshotArchive.constantTimeEqual(SnapshotArchive.sealedMember(mac), sealed)
        }
    }

    /// Reads and checks a whole archive, discarding the state.
    static func verify(_ path: String) throws -> Verified {
        let reader = try SnapshotArchiveReader(path: path)
        while try reader.nextStateChunk() != nil {}
        return try reader.finish()
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

/// Reads an archive sequentially: `state.bin` in chunks (`nextStateChunk`), then `finish()` checks gzip CRC,
/// member order, `SHA256SUMS` against the contents and the records of `state.bin` against `meta.json`.
/// Nothing read is trustworthy until `finish()` returns. Memory: one chunk and one record at a time.
final class SnapshotArchiveReader {
    private let input: SnapshotFile
    private var gzip: GzipStoredReader
    private var contents: [String: [UInt8]] = [:]
    private var stateHasher = SHA256()
    private var records = RecordScanner()
    private var order: [String] = []
    private var stateRemaining: UInt64?
    private var stateDone = false
    private var stateSize: UInt64?

    init(path: String) throws {
        input = try SnapshotFile.open(path)
        gzip = GzipStoredReader(input: input)
    }

    deinit { input.close() }

    private func nextMember() throws -> (String, UInt64)? {
        guard let (name, size) = try TarReader.nextHeader(&gzip) else { return nil }
        guard let position = SnapshotArchive.members.firstIndex(of: name), position == order.count else {
            throw SnapshotArchiveError.unsupported("unexpected member \"\(name)\"")
        }
        order.append(name)
        return (name, size)
    }

    private func readSmall(_ name: String, _ size: UInt64) throws {
        guard size <= 1 << 20 else { throw SnapshotArchiveError.unsupported("\(name) is too large") }
        contents[name] = try gzip.read(Int(size))
        _ = try gzip.read(Int(TarWriter.paddingCount(after: size)))
    }

    /// The next piece of `state.bin` (at most 1 MiB), or nil once it has all been read.
    func nextStateChunk() throws -> [UInt8]? {
        if stateDone { return nil }
        if stateRemaining == nil {
            guard let (name, size) = try nextMember() else { throw SnapshotArchiveError.truncated }
            guard name == "meta.json" else { throw SnapshotArchiveError.unsupported("meta.json is missing") }
            try readSmall(name, size)
            guard let (stateName, stateSize) = try nextMember(), stateName == "state.bin" else {
                throw SnapshotArchiveError.truncated
            }
            stateRemaining = stateSize
            self.stateSize = stateSize
        }
        guard let remaining = stateRemaining, remaining > 0 else {
            stateDone = true
            return nil
        }
        let chunk = try gzip.read(Int(min(remaining, 1 << 20)))
        stateRemaining = remaining - UInt64(chunk.count)
        stateHasher.update(data: chunk)
        try records.feed(chunk)
        return chunk
    }

    func finish() throws -> SnapshotArchive.Verified {
        while try nextStateChunk() != nil {}
        guard let stateSize else { throw SnapshotArchiveError.truncated }
        _ = try gzip.read(Int(TarWriter.paddingCount(after: stateSize)))
        while let (name, size) = try nextMember() { try readSmall(name, size) }
        try gzip.finishReading()
        guard order.count == SnapshotArchive.members.count else { throw SnapshotArchiveError.truncated }
        let meta = contents["meta.json"] ?? []
        let stateDigest = SnapshotArchive.hex(stateHasher.finalize())
        let sums = contents["SHA256SUMS"] ?? []
        guard sums == SnapshotArchive.sums(meta: meta, stateDigest: stateDigest) else {
            throw SnapshotArchiveError.corrupt("SHA256SUMS does not match meta.json and state.bin")
        }
        let metadata: SnapshotArchiveMetadata
        do {
            metadata = try JSONDecoder().decode(SnapshotArchiveMetadata.self, from: Data(meta))
        } catch {
            throw SnapshotArchiveError.unsupported("meta.json does not decode")
        }
        guard metadata.format == SnapshotArchiveMetadata.stateFormat, metadata.size == stateSize else {
            throw SnapshotArchiveError.unsupported("state format \"\(metadata.format)\"")
        }
        try records.finish()
        guard records.count == metadata.records, records.contentHash == metadata.contentHash else {
            throw SnapshotArchiveError.corrupt("state.bin does not match meta.json")
        }
        return SnapshotArchive.Verified(
            metadata: metadata, sums: sums, sealed: contents["SHA256SUMS.sealed"] ?? [])
    }

}

/// Parses `state.bin` records as they stream by; keeps the count and the content hash. At most one record
/// is buffered.
struct RecordScanner {
    private(set) var count: UInt64 = 0
    private var hasher = ContentHasher()
    private var buffer: [UInt8] = []
    private var pairs: ((_ key: [UInt8], _ value: [UInt8]) throws -> Void)?

    init(pairs: ((_ key: [UInt8], _ value: [UInt8]) throws -> Void)? = nil) {
        self.pairs = pairs
    }

    var contentHash: String { hasher.copy().finalize() }

    mutating func feed(_ chunk: some Collection<UInt8>) throws {
        buffer.append(contentsOf: chunk)
        var offset = 0
        while true {
            guard let keyLength = Self.length(buffer, at: offset) else { break }
            let keyEnd = offset + 4 + keyLength
            guard let valueLength = Self.length(buffer, at: keyEnd) else { break }
            let end = keyEnd + 4 + valueLength
            guard end <= buffer.count else { break }
            let key = Array(buffer[(offset + 4)..<keyEnd])
            let value = Array(buffer[(keyEnd + 4)..<end])
            hasher.update(key: key, value: value)
            try pairs?(key, value)
            count += 1
            offset = end
        }
        if offset > 0 { buffer.removeFirst(offset) }
    }

    func finish() throws {
        guard buffer.isEmpty else { throw SnapshotArchiveError.corrupt("state.bin ends inside a record") }
    }

    private static func length(_ bytes: [UInt8], at offset: Int) -> Int? {
        guard offset + 4 <= bytes.count else { return nil }
        return Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8
            | Int(bytes[offset + 3])
    }

    static func encode(key: [UInt8], value: [UInt8], into output: inout [UInt8]) {
        output.append(contentsOf: bigEndian(UInt32(key.count)))
        output.append(contentsOf: key)
        output.append(contentsOf: bigEndian(UInt32(value.count)))
        output.append(contentsOf: value)
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
         UInt8(truncatingIfNeeded: value)]
    }
}

/// SHA-256 over (key, value) pairs in the layout `NodeStore.stateHash()` uses: 32-bit big-endian lengths, then
/// the key, then the value.
struct ContentHasher {
    private var hasher = SHA256()

    mutating func update(key: [UInt8], value: [UInt8]) {
        hasher.update(data: RecordScanner.bigEndian(UInt32(key.count)) + RecordScanner.bigEndian(UInt32(value.count)))
        hasher.update(data: key)
        hasher.update(data: value)
    }

    func copy() -> ContentHasher { self }

    func finalize() -> String { SnapshotArchive.hex(hasher.finalize()) }
}

// MARK: - Files

/// A file read or written sequentially with POSIX calls (no buffering beyond the caller's chunks).
final class SnapshotFile {
    private let descriptor: Int32
    private var closed = false

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// Creates `path` exclusively, mode 0600.
    static func create(_ path: String) throws -> SnapshotFile {
        let descriptor = Foundation.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw SnapshotArchiveError.io("cannot create \(path): errno \(errno)") }
        return SnapshotFile(descriptor: descriptor)
    }

    static func open(_ path: String) throws -> SnapshotFile {
        let descriptor = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SnapshotArchiveError.io("cannot open \(path): errno \(errno)") }
        return SnapshotFile(descriptor: descriptor)
    }

    func write(_ bytes: some Collection<UInt8>) throws {
        let array = Array(bytes)
        var offset = 0
        while offset < array.count {
            let written = array.withUnsafeBytes { buffer in
                Foundation.write(descriptor, buffer.baseAddress! + offset, array.count - offset)
            }
            guard written > 0 else { throw SnapshotArchiveError.io("write failed: errno \(errno)") }
            offset += written
        }
    }

    /// Up to `count` bytes; nil at end of file.
    func read(_ count: Int) throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        let got = buffer.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress!, count) }
        guard got >= 0 else { throw SnapshotArchiveError.io("read failed: errno \(errno)") }
        if got == 0 { return nil }
        buffer.removeSubrange(got...)
        return buffer
    }

    func sync() throws {
        guard fsync(descriptor) == 0 else { throw SnapshotArchiveError.io("fsync failed: errno \(errno)") }
    }

    func close() {
        guard !closed else { return }
        closed = true
        _ = Foundation.close(descriptor)
    }

    deinit { close() }
}

// MARK: - gzip with stored blocks

struct CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }
    private(set) var value: UInt32 = 0xFFFF_FFFF

    mutating func update(_ bytes: some Sequence<UInt8>) {
        var crc = value
        for byte in bytes { crc = Self.table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        value = crc
    }

    var checksum: UInt32 { value ^ 0xFFFF_FFFF }
}

struct GzipStoredWriter {
    let output: SnapshotFile
    private var pending: [UInt8] = []
    private var crc = CRC32()
    private var size: UInt32 = 0
    private var started = false

    init(output: SnapshotFile) { self.output = output }

    mutating func write(_ bytes: [UInt8]) throws {
        if !started {
            started = true
            try output.write([0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF])
        }
        crc.update(bytes)
        size &+= UInt32(truncatingIfNeeded: bytes.count)
        pending.append(contentsOf: bytes)
        while pending.count >= 65535 {
            try block(pending[0..<65535], final: false)
            pending.removeFirst(65535)
        }
    }

    private func block(_ data: ArraySlice<UInt8>, final: Bool) throws {
        let length = UInt16(data.count)
        var header: [UInt8] = [final ? 1 : 0]
        header += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8(~length >> 8)]
        try output.write(header + data)
    }

    mutating func finish() throws {
        if !started { try write([]) }
        try block(pending[...], final: true)
        pending = []
        var trailer: [UInt8] = []
        for value in [crc.checksum, size] {
            trailer += [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8),
                        UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 24)]
        }
        try output.write(trailer)
    }
}

/// Reads what `GzipStoredWriter` writes (any gzip stream made only of stored blocks), checking its CRC.
struct GzipStoredReader {
    let input: SnapshotFile
    private var raw: [UInt8] = []
    private var rawOffset = 0
    private var blockRemaining = 0
    private var sawFinal = false
    private var started = false
    private var crc = CRC32()
    private var size: UInt32 = 0

    init(input: SnapshotFile) { self.input = input }

    private mutating func rawBytes(_ count: Int) throws -> ArraySlice<UInt8> {
        while raw.count - rawOffset < count {
            if rawOffset > 0 {
                raw.removeFirst(rawOffset)
                rawOffset = 0
            }
            guard let more = try input.read(max(1 << 20, count)) else { throw SnapshotArchiveError.truncated }
            raw.append(contentsOf: more)
        }
        defer { rawOffset += count }
        return raw[rawOffset..<(rawOffset + count)]
    }

    private mutating func start() throws {
        started = true
        let header = Array(try rawBytes(10))
        guard header[0] == 0x1F, header[1] == 0x8B, header[2] == 0x08 else {
            throw SnapshotArchiveError.unsupported("not a gzip stream")
        }
        guard header[3] == 0 else { throw SnapshotArchiveError.unsupported("gzip header flags are not supported") }
        // The rest of the header is outside the CRC: only the exact bytes Coffer writes are accepted, so no
        // byte of an archive can change unnoticed.
        guard header[4...] == [0, 0, 0, 0, 0x00, 0xFF] else {
            throw SnapshotArchiveError.corrupt("unexpected gzip header")
        }
    }

    /// Exactly `count` decompressed bytes (throws `.truncated` if the stream ends first).
    mutating func read(_ count: Int) throws -> [UInt8] {
        if !started { try start() }
        var result: [UInt8] = []
        result.reserveCapacity(count)
        while result.count < count {
            if blockRemaining == 0 {
                guard !sawFinal else { throw SnapshotArchiveError.truncated }
                try nextBlock()
                continue
            }
            let take = min(blockRemaining, count - result.count)
            let bytes = try rawBytes(take)
            crc.update(bytes)
            size &+= UInt32(take)
            result.append(contentsOf: bytes)
            blockRemaining -= take
        }
        return result
    }

    private mutating func nextBlock() throws {
        let header = Array(try rawBytes(5))
        guard header[0] & 0b110 == 0 else {
            throw SnapshotArchiveError.unsupported("compressed deflate blocks (Coffer writes stored blocks only)")
        }
        guard header[0] & 0xF8 == 0 else { throw SnapshotArchiveError.corrupt("bad deflate block header") }
        sawFinal = header[0] & 1 == 1
        let length = Int(header[1]) | Int(header[2]) << 8
        let complement = Int(header[3]) | Int(header[4]) << 8
        guard length ^ complement == 0xFFFF else { throw SnapshotArchiveError.corrupt("bad deflate block length") }
        blockRemaining = length
    }

    /// Consumes the rest of the deflate stream and the gzip trailer, checking CRC and size.
    mutating func finishReading() throws {
        if !started { try start() }
        while !sawFinal || blockRemaining > 0 {
            if blockRemaining > 0 {
                throw SnapshotArchiveError.unsupported("data after the end of the tar archive")
            }
            try nextBlock()
        }
        let trailer = Array(try rawBytes(8))
        let crcValue = UInt32(trailer[0]) | UInt32(trailer[1]) << 8 | UInt32(trailer[2]) << 16 | UInt32(trailer[3]) << 24
        let sizeValue = UInt32(trailer[4]) | UInt32(trailer[5]) << 8 | UInt32(trailer[6]) << 16
            | UInt32(trailer[7]) << 24
        guard crcValue == crc.checksum, sizeValue == size else {
            throw SnapshotArchiveError.corrupt("gzip checksum mismatch")
        }
        let trailing = try raw.count > rawOffset || input.read(1) != nil
        if trailing {
            throw SnapshotArchiveError.unsupported("trailing bytes after the gzip stream")
        }
    }
}

// MARK: - tar (ustar)

struct TarWriter {
    func header(name: String, size: UInt64) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) {
            for (index, byte) in text.utf8.enumerated() { block[offset + index] = byte }
        }
        put(name, at: 0)
        put("0000600", at: 100)
        put("0000000", at: 108)
        put("0000000", at: 116)
        put(String(format: "%011llo", size), at: 124)
        put("00000000000", at: 136)
        put("        ", at: 148)
        block[156] = UInt8(ascii: "0")
        put("ustar", at: 257)
        put("00", at: 263)
        let sum = block.reduce(0) { $0 + Int($1) }
        put(String(format: "%06o", sum), at: 148)
        block[154] = 0
        block[155] = UInt8(ascii: " ")
        return block
    }

    static func paddingCount(after size: UInt64) -> UInt64 { (512 - size % 512) % 512 }

    func padding(after size: UInt64) -> [UInt8] { [UInt8](repeating: 0, count: Int(Self.paddingCount(after: size))) }
}

enum TarReader {
    /// The next member's name and size, or nil at the end-of-archive (zero) block.
    static func nextHeader(_ gzip: inout GzipStoredReader) throws -> (String, UInt64)? {
        let block = try gzip.read(512)
        if block.allSatisfy({ $0 == 0 }) {
            _ = try gzip.read(512)
            return nil
        }
        let stored = block[148..<156].prefix { $0 != 0 && $0 != 0x20 }
        var copy = block
        for index in 148..<156 { copy[index] = 0x20 }
        guard let checksum = Int(String(decoding: stored, as: UTF8.self), radix: 8),
            checksum == copy.reduce(0, { $0 + Int($1) })
        else { throw SnapshotArchiveError.corrupt("tar header checksum mismatch") }
        guard block[156] == UInt8(ascii: "0") || block[156] == 0 else {
            throw SnapshotArchiveError.unsupported("tar member is not a regular file")
        }
        let name = String(decoding: block[0..<100].prefix { $0 != 0 }, as: UTF8.self)
        let sizeField = block[124..<136].prefix { $0 != 0 && $0 != 0x20 }
        guard let size = UInt64(String(decoding: sizeField, as: UTF8.self), radix: 8) else {
            throw SnapshotArchiveError.corrupt("tar member size is malformed")
        }
        return (name, size)
    }
}

extension SnapshotArchiveMetadata {
    /// Reads and checks the whole archive at `path` (gzip CRC, member order, `SHA256SUMS`, records against
    /// `meta.json`) and returns its metadata. The sealed checksum needs the cluster's keys and is checked on
    /// restore only. Throws `SnapshotArchiveError`.
    public static func inspect(archive path: String) throws -> SnapshotArchiveMetadata {
        try SnapshotArchive.verify(path).metadata
    }
}
