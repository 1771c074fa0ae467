/// One entry of a body: an attribute or a block, in source order.
public enum HCLItem: Sendable, Hashable, CustomStringConvertible {
    case attribute(HCLAttribute)
    case block(HCLBlock)

    /// The attribute key or the block type.
    public var key: String {
        switch self {
        case .attribute(let attribute): attribute.key
        case .block(let block): block.type
        }
    }

    public var position: SourcePosition {
        switch self {
        case .attribute(let attribute): attribute.position
        case .block(let block): block.position
        }
    }

    public var description: String {
        switch self {
        case .attribute(let attribute):
            return "\(quoted(attribute.key)) = \(attribute.value)"
        case .block(let block):
            let head = ([block.type] + block.labels).map(quoted).joined(separator: " ")
            return head + " { " + block.body.items.map(\.description).joined(separator: " ") + " }"
        }
    }

    private func quoted(_ text: String) -> String { "\"\(text)\"" }
}
