import Synchronization

/// Marks work that must not write: a standby serving a request from its own copy of the state (it cannot
/// write; the active node must answer anything that does).
///
/// Storage that replicates (`ReplicatedStorage`) refuses every write made inside a scope and records that one
/// was tried, so the caller can throw the answer away and forward the request, even when the code that tried
/// the write caught the error and answered something else.
///
/// Thread-safety: `Sendable`; the flag is atomic.
public final class ReadOnlyScope: Sendable {
    /// The scope the current task runs in, if any.
    @TaskLocal public static var current: ReadOnlyScope?

    private let writeTried = Atomic<Bool>(false)

    public init() {}

    /// Whether anything inside the scope tried to write.
    public var triedToWrite: Bool { writeTried.load(ordering: .sequentiallyConsistent) }

    /// Called by storage that refuses the write.
    public func refuseWrite() {
        writeTried.store(true, ordering: .sequentiallyConsistent)
    }
}

/// Thrown for a write inside a `ReadOnlyScope`; nothing was written.
public struct WriteRefusedInReadOnlyScope: Error, Sendable {
    public init() {}
}
