#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Overwrites `buffer` with zeros in a way the optimiser may not remove as a dead store
/// (`explicit_bzero` on glibc, `memset_s` on Darwin).
func secureZero(_ buffer: UnsafeMutableRawBufferPointer) {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return }
    #if canImport(Darwin)
    _ = memset_s(base, buffer.count, 0, buffer.count)
    #elseif canImport(Glibc) || canImport(Musl)
    explicit_bzero(base, buffer.count)
    #else
    buffer.initializeMemory(as: UInt8.self, repeating: 0)
    #endif
}

/// Zeroes the bytes of `array` in place (best effort: copies Swift made earlier are not
/// reached).
func secureZero(_ array: inout [UInt8]) {
    array.withUnsafeMutableBytes { secureZero($0) }
}
