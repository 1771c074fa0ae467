/// An ordered list of attributes and blocks: a whole document, a block's body, or an object value.
///
/// Guarantees: items are in source order; repeated keys and repeated blocks are all kept; nothing is merged.
public struct HCLBody: Sendable, Hashable {
    public var items: [HCLItem]

    public init(items: [HCLItem] = []) {
        self.items = items
    }
}
