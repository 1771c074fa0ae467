import Core

/// The CIDR checks AppRole makes, with OpenBao's wording: validating lists a client
/// sends, normalising token-bound addresses, subset checks between a role's and a
/// secret_id's blocks, and membership of a client address. Stateless.
enum CIDRList {
    /// Every entry must be "address/prefix" (OpenBao's `cidrutil.ValidateCIDRListSlice`).
    static func validate(_ blocks: [String], what: String = "CIDR blocks") throws(CoreError) -> [CIDRBlock] {
        var parsed: [CIDRBlock] = []
        for text in blocks {
            guard let block = CIDRBlock(text) else {
                throw CoreError.goError("failed to validate \(what): invalid CIDR address: \(text)")
            }
            parsed.append(block)
        }
        return parsed
    }

    /// Token-bound addresses: an address or a block each, written back as go-sockaddr
    /// prints them (a single-host IPv4 /32 or IPv6 /128 loses its suffix).
    static func normalisedAddresses(_ entries: [String]) throws(CoreError) -> [String] {
        var result: [String] = []
        for raw in entries {
            let text = raw.trimmingSpaces()
            if let address = IPAddress.bytes(text) {
                result.append(address.count == 4 ? text : text)
                continue
            }
            if let block = CIDRBlock(text), let slash = text.firstIndex(of: "/") {
                let full = block.network.count * 8
                result.append(block.prefixLength == full ? String(text[..<slash]) : text)
                continue
            }
            throw CoreError.badRequest(
                "error parsing address \"\(text)\": Unable to convert \"\(text)\" to an IPv4 or IPv6 address, "
                    + "or a UNIX Socket")
        }
        return result
    }

    /// Throws OpenBao's 500 unless every block of `secretIDBlocks` lies inside some block
    /// of `roleBlocks` (no check when either list is empty).
    static func requireSubset(_ secretIDBlocks: [String], of roleBlocks: [String]) throws(CoreError) {
        guard !secretIDBlocks.isEmpty, !roleBlocks.isEmpty else { return }
        let role = roleBlocks.map { $0.contains("/") ? $0 : $0 + "/32" }
        let outer = role.compactMap { CIDRBlock($0) }
        let inner = secretIDBlocks.compactMap { CIDRBlock($0) }
        let allParsed = outer.count == role.count && inner.count == secretIDBlocks.count
        let subset = allParsed && inner.allSatisfy { block in outer.contains { $0.contains(block) } }
        if !subset {
            throw CoreError.goError(
                "failed to verify subset relationship between CIDR blocks on the role \(goQuoted(role)) "
                    + "and CIDR blocks on the secret ID \(goQuoted(secretIDBlocks)): %!w(<nil>)")
        }
    }

    /// Whether the client address falls inside one of `blocks` (blocks without a prefix
    /// length are single hosts).
    static func admits(_ remoteAddress: String, _ blocks: [String]) -> Bool {
        guard let address = IPAddress.fromRemote(remoteAddress) else { return false }
        for text in blocks {
            if let block = CIDRBlock(text), block.contains(address) { return true }
            if let host = IPAddress.bytes(text), IPAddress.unmapped(host) == IPAddress.unmapped(address) { return true }
        }
        return false
    }

    /// Go's `%q` of a `[]string`: `["a" "b"]`.
    static func goQuoted(_ items: [String]) -> String {
        "[" + items.map { "\"\($0)\"" }.joined(separator: " ") + "]"
    }
}
