import Foundation

/// A fresh directory path under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let root: String

    init() {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("coffer-lmdb-tests-\(UUID().uuidString)").path
    }

    func path(_ component: String = "env") -> String { root + "/" + component }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}
