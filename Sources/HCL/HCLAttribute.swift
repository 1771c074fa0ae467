/// `key = value`. `position` is where the key starts.
public struct HCLAttribute: Sendable, Hashable {
    public var key: String
    public var value: HCLValue
    public var position: SourcePosition

    public init(key: String, value: HCLValue, at position: SourcePosition = SourcePosition(line: 0, column: 0)) {
        self.key = key
        self.value = value
        self.position = position
    }

    public var line: Int { position.line }

    public static func == (lhs: HCLAttribute, rhs: HCLAttribute) -> Bool {
        lhs.key == rhs.key && lhs.value == rhs.value
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(key)
        hasher.combine(value)
    }
}
