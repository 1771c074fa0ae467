import Foundation

/// The data keys of the barrier, one per term. The newest term is active: new writes use
/// it; every older term stays readable.
///
/// A value type holding shared ``SecretKey`` references: copies of a keyring share keys,
/// and ``zeroAll()`` zeroes them for every copy.
struct Keyring: Sendable {
    struct Entry: Sendable {
        let term: KeyTerm
        let key: SecretKey
        let installTime: Date
    }

    private(set) var entries: [KeyTerm: Entry]
    /// The entry new writes use: always the one with the largest term.
    private(set) var active: Entry

    var activeTerm: KeyTerm { active.term }

    /// A keyring holding `key` at term 1.
    init(firstKey key: SecretKey, installTime: Date) {
        active = Entry(term: 1, key: key, installTime: Self.storedPrecision(installTime))
        entries = [1: active]
    }

    /// A keyring from decoded entries; `activeTerm` must be the largest term present.
    init(entries: [Entry], activeTerm: KeyTerm) throws(BarrierError) {
        var byTerm = [KeyTerm: Entry]()
        for entry in entries {
            guard entry.term != 0 else { throw .malformed("keyring holds term 0") }
            guard byTerm[entry.term] == nil else { throw .malformed("keyring repeats term \(entry.term)") }
            byTerm[entry.term] = entry
        }
        guard let newest = byTerm.keys.max(), newest == activeTerm, let active = byTerm[newest] else {
            throw .malformed("keyring's active term \(activeTerm) is not its newest")
        }
        self.entries = byTerm
        self.active = active
    }

    func key(for term: KeyTerm) -> SecretKey? { entries[term]?.key }

    /// This keyring plus `key` at the next term, which becomes active.
    func adding(_ key: SecretKey, installTime: Date) throws(BarrierError) -> Keyring {
        guard activeTerm < KeyTerm.max else { throw .termExhausted }
        var next = self
        next.active = Entry(term: activeTerm + 1, key: key, installTime: Self.storedPrecision(installTime))
        next.entries[next.active.term] = next.active
        return next
    }

    /// `date` truncated to whole milliseconds, the precision the encoding keeps, so a
    /// keyring reads back exactly as it was held in memory.
    static func storedPrecision(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }

    /// Zeroes every key in the keyring.
    func zeroAll() {
        for entry in entries.values { entry.key.zero() }
    }
}
