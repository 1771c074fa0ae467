import Core

/// The one place where core errors become Vault's status codes and error bodies.
enum VaultWireError {
    static func status(and error: CoreError) -> (Int, [String]) {
        error.wire
    }
}
