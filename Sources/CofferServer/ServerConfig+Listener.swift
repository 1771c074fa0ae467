import HCL

/// The listener keys for TLS client certificates and slow-client timeouts.
extension ServerConfig {
    func readListenerHardening(_ block: HCLBlock, into listener: inout Listener) throws(HCLError) {
        listener.tlsClientCAFile = try block.body.string("tls_client_ca_file")
        listener.tlsRequireAndVerifyClientCert = try block.body.bool("tls_require_and_verify_client_cert") ?? false
        listener.readHeaderTimeout = try duration(block, "http_read_header_timeout") ?? listener.readHeaderTimeout
        listener.readTimeout = try duration(block, "http_read_timeout") ?? listener.readTimeout
        listener.idleTimeout = try duration(block, "http_idle_timeout") ?? listener.idleTimeout
    }

    /// A Go duration ("10s", "5m", "1h30m") or a number of seconds; 0 turns the limit off.
    private func duration(_ block: HCLBlock, _ key: String) throws(HCLError) -> Int64? {
        guard let attribute = block.body.attribute(named: key) else { return nil }
        if let seconds = attribute.value.intValue { return Int64(seconds) }
        if let text = attribute.value.stringValue, let seconds = Self.goDurationSeconds(text) { return seconds }
        throw HCLError(at: attribute.position, "\(key) must be a duration such as \"30s\"")
    }

    static func goDurationSeconds(_ text: String) -> Int64? {
        if let plain = Int64(text) { return plain }
        var total = 0.0
        var number = ""
        var characters = Array(text)[...]
        guard !characters.isEmpty else { return nil }
        while let character = characters.first {
            if character.isNumber || character == "." {
                number.append(character)
                characters = characters.dropFirst()
                continue
            }
            guard let value = Double(number) else { return nil }
            number = ""
            if characters.starts(with: "ms") {
                total += value / 1000
                characters = characters.dropFirst(2)
            } else if character == "s" {
                total += value
                characters = characters.dropFirst()
            } else if character == "m" {
                total += value * 60
                characters = characters.dropFirst()
            } else if character == "h" {
                total += value * 3600
                characters = characters.dropFirst()
            } else {
                return nil
            }
        }
        guard number.isEmpty else { return nil }
        return Int64(total.rounded(.up))
    }
}
