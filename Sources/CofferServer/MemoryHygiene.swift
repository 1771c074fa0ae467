import CSystemHardening
import Glibc

/// Keeps key material out of swap and core dumps for the life of the server process.
///
/// - `lockMemory()`: `mlockall(MCL_CURRENT | MCL_FUTURE)`, so no page of the process
///   (keys, shares, decrypted values) is ever written to swap. Skipped with
///   `disable_mlock = true` (and in dev mode, as Vault does).
/// - `forbidCoreDumps()`: `RLIMIT_CORE` 0 and `PR_SET_DUMPABLE` 0, so a crash or a
///   signal leaves no core file and non-root processes cannot ptrace the server or read
///   its `/proc/PID/mem`. Always on, from start: the node may be unsealed at any time.
///
/// The Barrier's `SecretKey` additionally keeps its bytes on an `mlock`ed page of its
/// own and zeroes them on release; unseal keys and shares are wiped after use
/// (`KeyShare`, `CofferCore.combine`).
enum MemoryHygiene {
    static func lockMemory() throws(ServerStartError) {
        guard mlockall(Int32(MCL_CURRENT | MCL_FUTURE)) != 0 else { return }
        let reason = String(cString: strerror(errno))
        throw .config("""
            cannot lock memory: mlockall failed (\(reason)).
            Coffer locks its memory so that keys are never written to swap. This needs the CAP_IPC_LOCK \
            capability (or root), or an RLIMIT_MEMLOCK large enough for the whole process. Grant it \
            (systemd: AmbientCapabilities=CAP_IPC_LOCK and LimitMEMLOCK=infinity), or set \
            disable_mlock = true in the config where swap is off or encrypted.
            """)
    }

    static func forbidCoreDumps() throws(ServerStartError) {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        guard setrlimit(RLIMIT_CORE_RESOURCE, &none) == 0 else {
            throw .config("cannot turn core dumps off: setrlimit(RLIMIT_CORE) failed (\(String(cString: strerror(errno))))")
        }
        guard coffer_set_dumpable(0) == 0 else {
            throw .config("cannot turn core dumps off: prctl(PR_SET_DUMPABLE) failed (\(String(cString: strerror(errno))))")
        }
    }

    static var isDumpable: Bool { coffer_get_dumpable() != 0 }
}

#if os(Linux)
private let RLIMIT_CORE_RESOURCE = __rlimit_resource_t(RLIMIT_CORE.rawValue)
#else
private let RLIMIT_CORE_RESOURCE = RLIMIT_CORE
#endif
