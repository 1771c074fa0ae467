/// Maps a JSON document onto `HCLBody` the way HCL1's JSON parser does.
///
/// A member whose value is a non-empty object made only of objects contributes its keys as block labels
/// (`{"path": {"secret/*": {...}}}` is `path "secret/*" { ... }`); a non-empty list made only of objects
/// becomes one block per element; any other object is a block body; everything else is an attribute.
struct JSONTreeBuilder {
    let maxDepth: Int

    func body(fromDocument node: JSONNode) throws(HCLError) -> HCLBody {
        guard case .object(let members) = node.kind else {
            throw HCLError(at: node.position, "a JSON document must be an object at the top level")
        }
        return body(from: members)
    }

    private func body(from members: [JSONNode.Member]) -> HCLBody {
        var items: [HCLItem] = []
        for member in members {
            expand(keys: [member.key], at: member.keyPosition, value: member.value, into: &items)
        }
        return HCLBody(items: items)
    }

    /// Flattening only ever adds labels while descending into the reader's tree, which is depth-capped, so the
    /// recursion here is bounded by the same limit.
    private func expand(keys: [String], at position: SourcePosition, value: JSONNode, into items: inout [HCLItem]) {
        switch value.kind {
        case .object(let members) where !members.isEmpty && members.allSatisfy({ $0.value.isObject }):
            for member in members {
                expand(keys: keys + [member.key], at: position, value: member.value, into: &items)
            }
        case .array(let elements) where !elements.isEmpty && elements.allSatisfy({ $0.isObject }):
            for element in elements {
                expand(keys: keys, at: position, value: element, into: &items)
            }
        case .object(let members):
            let type = keys.first ?? ""
            items.append(.block(HCLBlock(type: type, labels: Array(keys.dropFirst()), body: body(from: members),
                                         at: position)))
        default:
            // Labels are only added for object values, so a scalar here always has exactly one key.
            let converted = hclValue(value)
            if keys.count == 1 {
                items.append(.attribute(HCLAttribute(key: keys[0], value: converted, at: position)))
            } else {
                let inner = HCLBody(items: [.attribute(HCLAttribute(key: keys[keys.count - 1], value: converted,
                                                                     at: position))])
                items.append(.block(HCLBlock(type: keys.first ?? "", labels: Array(keys.dropFirst().dropLast()),
                                             body: inner, at: position)))
            }
        }
    }

    private func hclValue(_ node: JSONNode) -> HCLValue {
        switch node.kind {
        case .string(let text): HCLValue(.string(text), at: node.position)
        case .number(let number): HCLValue(.number(number), at: node.position)
        case .bool(let flag): HCLValue(.bool(flag), at: node.position)
        case .null: HCLValue(.null, at: node.position)
        case .array(let elements): HCLValue(.list(elements.map(hclValue)), at: node.position)
        case .object(let members): HCLValue(.object(body(from: members)), at: node.position)
        }
    }
}
