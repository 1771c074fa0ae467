/// A value on the right of `=` or inside a list.
///
/// Equality compares `kind` only; `position` (where the value starts) is kept for error messages.
public struct HCLValue: Sendable, Hashable, CustomStringConvertible {
    /// The shapes a value can take. Objects (`{ a = 1 }`) reuse `HCLBody`, so they keep order and duplicates.
    public indirect enum Kind: Sendable, Hashable {
        /// A quoted string or heredoc, with escapes already resolved. `${...}` is kept verbatim.
        case string(String)
        case number(HCLNumber)
        case bool(Bool)
        case list([HCLValue])
        case object(HCLBody)
        /// Only produced by the JSON form (`null`); HCL itself has no null literal.
        case null
    }

    public var kind: Kind
    public var position: SourcePosition

    public init(_ kind: Kind, at position: SourcePosition = SourcePosition(line: 0, column: 0)) {
        self.kind = kind
        self.position = position
    }

    public static func == (lhs: HCLValue, rhs: HCLValue) -> Bool { lhs.kind == rhs.kind }

    public func hash(into hasher: inout Hasher) { hasher.combine(kind) }

    /// A short name of the value's type for error messages ("string", "list", ...).
    public var typeName: String {
        switch kind {
        case .string: "string"
        case .number(.int): "integer"
        case .number(.float): "number"
        case .bool: "bool"
        case .list: "list"
        case .object: "object"
        case .null: "null"
        }
    }

    public var description: String {
        switch kind {
        case .string(let text): "\"\(text)\""
        case .number(let number): number.description
        case .bool(let flag): flag ? "true" : "false"
        case .list(let values): "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .object(let body): "{ " + body.items.map(\.description).joined(separator: " ") + " }"
        case .null: "null"
        }
    }
}
