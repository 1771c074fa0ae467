import Foundation

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// 32 bytes of key material (an unseal key, the root key or a keyring data key) held in
/// memory this type allocates itself.
///
/// Guarantees:
/// - The bytes live at the start of a page-aligned, page-sized allocation of their own
///   that this type never copies. The page is `mlock`ed (best effort, subject to
///   `RLIMIT_MEMLOCK`, so it is not swapped out) and on Linux excluded from core dumps
///   (`MADV_DONTDUMP`). The bytes are overwritten with zeros by ``zero()`` and at the
///   latest on deinit.
/// - `==` compares in constant time (every byte is examined whatever the contents).
/// - `description`, `debugDescription` and reflection print `SecretKey(redacted)`.
/// - Thread-safe: a lock serialises ``zero()`` against every reader of the bytes.
///
/// Copies made by callers of ``withUnsafeBytes(_:)`` or ``copyBytes()``, and the bytes
/// passed to ``init(bytes:)``, are the caller's to zero.
public final class SecretKey: @unchecked Sendable {
    // @unchecked: `storage` is memory we own and mutate only in `zero()`/deinit; `lock`
    // guards every access to it and to `zeroed`, so sharing across threads is safe.

    /// The length of every key, in bytes (AES-256).
    public static let byteCount = 32

    /// The whole page we own; one page per key so `munlock` never affects another key.
    private let page: UnsafeMutableRawBufferPointer
    /// The first ``byteCount`` bytes of `page`.
    private let storage: UnsafeMutableRawBufferPointer
    private let isLocked: Bool
    private let lock = NSLock()
    private var zeroed = false

    /// A new key from the system CSPRNG (`getrandom(2)` on Linux, `arc4random_buf` on
    /// Darwin, through `SystemRandomNumberGenerator`).
    public convenience init() {
        self.init(filling: { buffer in
            var rng = SystemRandomNumberGenerator()
            var index = 0
            while index < buffer.count {
                var word = rng.next()
                for _ in 0..<8 where index < buffer.count {
                    buffer[index] = UInt8(truncatingIfNeeded: word)
                    word >>= 8
                    index += 1
                }
            }
        })
    }

    /// A key holding a copy of `bytes`, which must be exactly ``byteCount`` long.
    /// The caller still owns (and should zero) its own copy.
    public convenience init(bytes: some Collection<UInt8>) throws(BarrierError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidKeyLength(bytes.count)
        }
        self.init(filling: { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        })
    }

    private init(filling fill: (UnsafeMutableRawBufferPointer) -> Void) {
        let pageSize = Self.pageSize
        page = UnsafeMutableRawBufferPointer.allocate(byteCount: pageSize, alignment: pageSize)
        page.initializeMemory(as: UInt8.self, repeating: 0)
        storage = UnsafeMutableRawBufferPointer(rebasing: page[0..<Self.byteCount])
        if let base = page.baseAddress {
            isLocked = mlock(base, page.count) == 0
            #if os(Linux)
            _ = madvise(base, page.count, MADV_DONTDUMP)
            #endif
        } else {
            isLocked = false
        }
        fill(storage)
    }

    deinit {
        secureZero(storage)
        if let base = page.baseAddress {
            if isLocked { _ = munlock(base, page.count) }
            #if os(Linux)
            _ = madvise(base, page.count, MADV_DODUMP)
            #endif
        }
        page.deallocate()
    }

    private static let pageSize: Int = {
        #if os(Linux)
        let size = sysconf(Int32(_SC_PAGESIZE))
        #else
        let size = sysconf(_SC_PAGESIZE)
        #endif
        return size >= SecretKey.byteCount ? size : 4096
    }()

    /// Overwrites the key with zeros. Idempotent; afterwards the key reads as 32 zero bytes.
    public func zero() {
        lock.lock()
        defer { lock.unlock() }
        secureZero(storage)
        zeroed = true
    }

    /// Whether ``zero()`` has been called.
    public var isZeroed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return zeroed
    }

    /// Calls `body` with the key bytes; `body` must not let the pointer escape.
    /// Holds the key's lock for the duration, so `body` must not call back into this key.
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(UnsafeRawBufferPointer(storage))
    }

    /// A copy of the key bytes as an array (for example to split an unseal key into
    /// Shamir shares). The caller must zero the copy when done with it.
    public func copyBytes() -> [UInt8] {
        withUnsafeBytes { Array($0) }
    }
}

extension SecretKey: Equatable {
    /// Constant-time comparison of the key bytes.
    public static func == (lhs: SecretKey, rhs: SecretKey) -> Bool {
        if lhs === rhs { return true }
        // Lock in a fixed (address) order so that a == b and b == a cannot deadlock.
        let (first, second) = ObjectIdentifier(lhs) < ObjectIdentifier(rhs) ? (lhs, rhs) : (rhs, lhs)
        return first.withUnsafeBytes { a in
            second.withUnsafeBytes { b in
                var difference: UInt8 = 0
                for index in 0..<SecretKey.byteCount { difference |= a[index] ^ b[index] }
                return difference == 0
            }
        }
    }
}

extension SecretKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "SecretKey(redacted)" }
    public var debugDescription: String { "SecretKey(redacted)" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .class) }
}
