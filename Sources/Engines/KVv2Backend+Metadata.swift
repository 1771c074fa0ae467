import Core
import Storage

/// `metadata/<key>` and `detailed-metadata/<key>`: read, write, patch, delete and list of
/// the per-key settings, custom metadata and version list.
extension KVv2Backend {
    func readMetadata(_ key: String, _ request: BackendRequest) async throws(CoreError) -> Response? {
        guard let metadata = try await loadMetadata(key, request.storage) else { throw EngineReply.notFound }
        return Response.data(metadata.responseData)
    }

    func writeMetadata(_ key: String, _ request: BackendRequest, _ schema: FieldSchema) async throws(CoreError)
        -> Response?
    {
        if key.isEmpty { throw CoreError.badRequest("missing path") }
        let data = request.data
        let settings = [
            "max_versions", "cas_required", "delete_version_after", "custom_metadata", "metadata_cas_required",
        ]
        guard settings.contains(where: { schema.has($0, in: data) }) else { return .noContent }
        let config = try await loadConfig(request.storage)
        let custom: [String: String]? =
            if let raw = try schema.map("custom_metadata", in: data) {
                try Self.customMetadata(raw, skippingNulls: false)
            } else {
                nil
            }
        let casRequired = try schema.bool("cas_required", in: data)
        let metadataCasRequired = try schema.bool("metadata_cas_required", in: data)
        let warnings = Self.mandateWarnings(config, casRequired: casRequired, metadataCasRequired: metadataCasRequired)
        let maxVersions = try schema.int("max_versions", in: data)
        let deleteAfter = try schema.int("delete_version_after", in: data)
        let metadataCas = try schema.int("metadata_cas", in: data)

        return try await locks.withLock(Self.lockName(request, key)) { () async throws(CoreError) -> Response? in
            let now = Timestamp(request.now)
            let existing = try await loadMetadata(key, request.storage)
            if ((existing?.metadataCasRequired ?? false) || config.metadataCasRequired) && metadataCas == nil {
                throw CoreError.badRequest("metadata check-and-set parameter required for this call")
            }
            var metadata: KeyMetadata
            if var existing {
                if let metadataCas, metadataCas < 0 || UInt64(metadataCas) != existing.currentMetadataVersion {
                    throw CoreError.badRequest("metadata check-and-set parameter does not match the current version")
                }
                existing.currentMetadataVersion += 1
                existing.updatedTime = now
                metadata = existing
            } else {
                if let metadataCas, metadataCas != 0 {
                    throw CoreError.badRequest("metadata_cas must be 0 when creating new metadata")
                }
                metadata = KeyMetadata(key: key)
                metadata.createdTime = now
                metadata.updatedTime = now
                metadata.currentMetadataVersion = 1
            }
            if let maxVersions { metadata.maxVersions = UInt32(truncatingIfNeeded: maxVersions) }
            if let casRequired { metadata.casRequired = casRequired }
            if let metadataCasRequired { metadata.metadataCasRequired = metadataCasRequired }
            if let deleteAfter { metadata.deleteVersionAfter = deleteAfter == 0 ? nil : deleteAfter }
            if let custom { metadata.customMetadata = custom.isEmpty ? nil : custom }
            try await StoredRecord.apply([try metadataPut(metadata)], to: request.storage)
            return warnings.isEmpty ? .noContent : EngineReply.logical(status: 200, data: nil, warnings: warnings)
        }
    }

    func patchMetadata(_ key: String, _ request: BackendRequest, _ schema: FieldSchema) async throws(CoreError)
        -> Response?
    {
        let data = request.data
        let patchable = [
            "max_versions", "cas_required", "metadata_cas_required", "delete_version_after", "custom_metadata",
        ]
        guard patchable.contains(where: { schema.has($0, in: data) }) else { return .noContent }
        if key.isEmpty { throw CoreError.badRequest("missing path") }
        let customPatch = try schema.map("custom_metadata", in: data)
        if let customPatch { _ = try Self.customMetadata(customPatch, skippingNulls: true) }
        let config = try await loadConfig(request.storage)
        let casRequired = try schema.bool("cas_required", in: data)
        let metadataCasRequired = try schema.bool("metadata_cas_required", in: data)
        let maxVersions = try schema.int("max_versions", in: data)
        let deleteAfter = try schema.int("delete_version_after", in: data)
        let metadataCas = try schema.int("metadata_cas", in: data)

        return try await locks.withLock(Self.lockName(request, key)) { () async throws(CoreError) -> Response? in
            guard var metadata = try await loadMetadata(key, request.storage) else { return EngineReply.emptyNotFound }
            if (metadata.metadataCasRequired || config.metadataCasRequired) && metadataCas == nil {
                throw CoreError.badRequest("metadata check-and-set parameter required for this call")
            }
            if let metadataCas, metadataCas < 0 || UInt64(metadataCas) != metadata.currentMetadataVersion {
                throw CoreError.badRequest("metadata check-and-set parameter does not match the current version")
            }
            let warnings = Self.mandateWarnings(
                config, casRequired: casRequired, metadataCasRequired: metadataCasRequired)
            if let maxVersions { metadata.maxVersions = UInt32(truncatingIfNeeded: maxVersions) }
            if let casRequired { metadata.casRequired = casRequired }
            if let metadataCasRequired { metadata.metadataCasRequired = metadataCasRequired }
            if let deleteAfter { metadata.deleteVersionAfter = deleteAfter == 0 ? nil : deleteAfter }
            if schema.has("custom_metadata", in: data) {
                let current = metadata.customMetadataValue
                let patch: JSONValue = data["custom_metadata"] == .null ? .null : .object(customPatch ?? [:])
                let merged = JSONMergePatch.apply(patch, to: current)
                let strings = try Self.customMetadata(merged.objectValue ?? [:], skippingNulls: true)
                metadata.customMetadata = strings.isEmpty ? nil : strings
            }
            metadata.currentMetadataVersion += 1
            metadata.updatedTime = Timestamp(request.now)
            try await StoredRecord.apply([try metadataPut(metadata)], to: request.storage)
            return warnings.isEmpty ? .noContent : EngineReply.logical(status: 200, data: nil, warnings: warnings)
        }
    }

    func deleteMetadata(_ key: String, _ request: BackendRequest) async throws(CoreError) -> Response? {
        try await locks.withLock(Self.lockName(request, key)) { () async throws(CoreError) -> Response? in
            guard let metadata = try await loadMetadata(key, request.storage) else { return .noContent }
            var operations: [StorageOperation] = metadata.versions.keys.compactMap(UInt64.init).sorted().map {
                .delete(key: Self.versionKey(key, $0))
            }
            operations.append(.delete(key: Self.metadataPrefix + key))
            try await StoredRecord.apply(operations, to: request.storage)
            return .noContent
        }
    }

    func listMetadata(
        _ key: String, detailed: Bool, _ request: BackendRequest, _ schema: FieldSchema
    ) async throws(CoreError) -> Response? {
        let after = try schema.string("after", in: request.data) ?? ""
        let limit = try schema.int("limit", in: request.data) ?? 0
        let folder = key.isEmpty || key.hasSuffix("/") ? key : key + "/"
        var keys = try await StoredRecord.list(Self.metadataPrefix + folder, in: request.storage)
        if !after.isEmpty {
            // Byte order, as storage lists keys (and as Go compares strings).
            keys = keys.filter { after.utf8.lexicographicallyPrecedes($0.utf8) }
        }
        if limit > 0 { keys = Array(keys.prefix(Int(clamping: limit))) }
        guard detailed else { return try EngineReply.list(keys) }
        var info: [String: JSONValue] = [:]
        for name in keys {
            let metadata = try await loadMetadata(folder + name, request.storage)
            info[name] = .object(metadata?.responseData ?? [:])
        }
        return try EngineReply.list(keys, keyInfo: info)
    }

    /// Warnings OpenBao gives when a key tries to switch off what the mount mandates.
    private static func mandateWarnings(_ config: KVv2Config, casRequired: Bool?, metadataCasRequired: Bool?)
        -> [String]
    {
        var warnings: [String] = []
        if casRequired == false && config.casRequired {
            warnings.append(
                "\"cas_required\" set to false, but is mandated by backend config. This value will be ignored.")
        }
        if metadataCasRequired == false && config.metadataCasRequired {
            warnings.append(
                "\"metadata_cas_required\" set to false, but is mandated by backend config. This value will be ignored."
            )
        }
        return warnings
    }

    /// Decodes and validates custom_metadata as OpenBao does: values weakly decoded to
    /// strings; at most 64 keys; keys 1...128 and values 1...512 bytes, printable.
    static func customMetadata(_ raw: [String: JSONValue], skippingNulls: Bool) throws(CoreError) -> [String: String] {
        let prefix = "custom_metadata validation failed"
        var result: [String: String] = [:]
        for (name, value) in raw {
            if skippingNulls && value == .null { continue }
            switch FieldSchema.weakString(value) {
            case .success(let text): result[name] = text
            case .failure(let error): throw CoreError.badRequest("\(prefix): \(error.message)")
            }
        }
        if result.count > 64 {
            throw CoreError.badRequest(
                EngineReply.multiError(
                    "\(prefix): payload must contain at most 64 keys, provided \(result.count)"))
        }
        var problems: [String] = []
        for name in result.keys.sorted() {
            let value = result[name] ?? ""
            let keyLength = name.utf8.count
            let valueLength = value.utf8.count
            if keyLength == 0 || keyLength > 128 {
                problems.append(
                    "\(prefix): length of key \(goQuote(name)) is \(keyLength) but must be 0 < len(key) <= 128")
            }
            if valueLength == 0 || valueLength > 512 {
                problems.append(
                    "\(prefix): length of value for key \(goQuote(name)) is \(valueLength) "
                        + "but must be 0 < len(value) <= 512")
            }
            if !isPrintable(name) {
                problems.append("\(prefix): key \(goQuote(name)) (\(name)) contains unprintable characters")
            }
            if !isPrintable(value) {
                problems.append("\(prefix): value for key \(goQuote(name)) contains unprintable characters")
            }
        }
        if !problems.isEmpty { throw CoreError.badRequest(EngineReply.multiError(problems)) }
        return result
    }

    /// Go's `unicode.IsPrint` over every rune: letters, marks, numbers, punctuation,
    /// symbols and the ASCII space.
    static func isPrintable(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { scalar in
            if scalar == " " { return true }
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                .nonspacingMark, .spacingMark, .enclosingMark,
                .decimalNumber, .letterNumber, .otherNumber,
                .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                .initialPunctuation, .finalPunctuation, .otherPunctuation,
                .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
                return true
            default:
                return false
            }
        }
    }

    /// Go's `%q` for the strings custom metadata keys usually are.
    static func goQuote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\x" + (hex.count < 2 ? "0" + hex : hex)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
