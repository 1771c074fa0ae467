/// `type "label1" "label2" { body }`, e.g. `listener "tcp" { ... }` or `path "secret/*" { ... }`.
///
/// `position` is where the block type starts. Labels keep their written order and may be empty.
public struct HCLBlock: Sendable, Hashable {
    public var type: String
    public var labels: [String]
    public var body: HCLBody
    public var position: SourcePosition

    public init(type: String, labels: [String] = [], body: HCLBody,
                at position: SourcePosition = SourcePosition(line: 0, column: 0)) {
        self.type = type
        self.labels = labels
        self.body = body
        self.position = position
    }

    public var line: Int { position.line }

    public static func == (lhs: HCLBlock, rhs: HCLBlock) -> Bool {
        lhs.type == rhs.type && lhs.labels == rhs.labels && lhs.body == rhs.body
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(type)
        hasher.combine(labels)
        hasher.combine(body)
    }
}
