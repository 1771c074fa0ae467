import Audit
import HCL

/// `audit "TYPE" "NAME" { description = ..., local = ..., options { ... } }` stanzas and
/// the two top-level switches OpenBao reads with them.
extension ServerConfig {
    static let auditKeys: Set<String> = ["description", "local", "options"]

    mutating func readAudit(_ body: HCLBody) throws(ConfigError) {
        do {
            unsafeAllowAPIAuditCreation = try body.bool("unsafe_allow_api_audit_creation") ?? false
            allowAuditLogPrefixing = try body.bool("allow_audit_log_prefixing") ?? false
        } catch {
            throw ConfigError(message: error.description)
        }
        for block in body.blocks(named: "audit") {
            guard block.labels.count == 2 else {
                throw ConfigError(
                    message: "line \(block.position.line): audit needs a type and a name: audit \"file\" \"NAME\" { ... }")
            }
            try checkKeys(block.body, known: Self.auditKeys, ignored: [], context: "audit \"\(block.labels[1])\"")
            var options: [String: String] = [:]
            let device: AuditDeviceConfig
            do {
                for optionsBlock in block.body.blocks(named: "options") {
                    for attribute in optionsBlock.body.attributes {
                        if let text = attribute.value.stringValue {
                            options[attribute.key] = text
                        } else if let flag = attribute.value.boolValue {
                            options[attribute.key] = flag ? "true" : "false"
                        } else if let number = attribute.value.intValue {
                            options[attribute.key] = String(number)
                        } else {
                            throw ConfigError(
                                message: "line \(attribute.position.line): audit option \(attribute.key) must be a string")
                        }
                    }
                }
                device = AuditDeviceConfig(
                    name: block.labels[1], type: block.labels[0], description: try block.body.string("description") ?? "",
                    options: options, local: try block.body.bool("local") ?? false, origin: .config)
            } catch let error as ConfigError {
                throw error
            } catch let error as HCLError {
                throw ConfigError(message: error.description)
            } catch {
                throw ConfigError(message: "line \(block.position.line): invalid audit block")
            }
            do {
                try device.validate(allowPrefix: allowAuditLogPrefixing)
            } catch {
                throw ConfigError(message: "line \(block.position.line): \(error.description)")
            }
            auditDevices.append(device)
        }
    }
}
