import Foundation

/// Reading local files named on the command line.
enum FileContents {
    /// The file's bytes, or `nil` when it cannot be read.
    static func read(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }
}
