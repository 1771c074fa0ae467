/// Which KV engine version serves a path, found the way the Vault CLI finds it (GET
/// `sys/internal/ui/mounts/PATH`; a 404 there means an old server and KV version 1), and the API paths that
/// follow from it (`MOUNT/data/...`, `MOUNT/metadata/...` for version 2).
struct KVMount: Sendable {
    /// The mount path with its trailing slash, e.g. `secret/`; empty when unknown.
    var path: String
    var version: Int

    var isV2: Bool { version == 2 }

    /// The preflight request. Errors are reported with the server's message alone, exit 2, as `vault kv` does.
    static func detect(_ path: String, client: VaultClient) async throws(CLIError) -> KVMount {
        let answer: VaultClient.Answer
        do {
            answer = try await client.exchange("GET", "sys/internal/ui/mounts/" + path)
        } catch {
            throw .request("\(error)")
        }
        if answer.statusCode == 404 {
            return KVMount(path: "", version: 1)
        }
        guard answer.isSuccess else {
            throw .request("\(answer.failure)")
        }
        let secret: Secret?
        do {
            secret = Secret.decode(try answer.json())
        } catch {
            throw .request("\(error)")
        }
        guard let data = secret?.data else {
            throw .request("nil response from pre-flight request")
        }
        let mountPath = data["path"]?.stringValue ?? ""
        let version = data["options"]?["version"]?.stringValue == "2" ? 2 : 1
        return KVMount(path: mountPath, version: version)
    }

    /// Resolves the command's PATH argument (or `-mount` plus PATH) to the mount and the mount-relative path.
    static func resolve(
        argument: String, mountFlag: String?, client: VaultClient
    ) async throws(CLIError) -> (mount: KVMount, partial: String) {
        var partial = VaultPath.sanitize(argument)
        if let mountFlag, !mountFlag.isEmpty {
            let mount = try await detect(VaultPath.sanitize(mountFlag), client: client)
            let base = mount.path.isEmpty ? VaultPath.sanitize(mountFlag) : mount.path
            partial = join(base, partial)
            return (mount.path.isEmpty ? KVMount(path: base + "/", version: mount.version) : mount, partial)
        }
        return (try await detect(partial, client: client), partial)
    }

    /// `path` with `prefix` (`data`, `metadata`, `delete`...) inserted after the mount, as Vault's
    /// `addPrefixToKVPath`.
    func apiPath(_ partial: String, prefix: String) -> String {
        let mountTrimmed = String(path.reversed().drop { $0 == "/" }.reversed())
        if partial == path || partial == mountTrimmed {
            return Self.join(mountTrimmed, prefix)
        }
        let suffix = partial.hasPrefix(path) ? String(partial.dropFirst(path.count)) : partial
        return Self.join(Self.join(mountTrimmed, prefix), suffix)
    }

    /// Go's `path.Join` for the simple cases here: one slash between non-empty parts.
    static func join(_ first: String, _ second: String) -> String {
        let left = first.hasSuffix("/") ? String(first.dropLast()) : first
        let right = second.hasPrefix("/") ? String(second.dropFirst()) : second
        if left.isEmpty {
            return right
        }
        if right.isEmpty {
            return left
        }
        return VaultPath.sanitize(left + "/" + right)
    }

    /// Vault's section title: `header` centred in `=` signs roughly as wide as what follows.
    static func padEqualSigns(_ header: String, width: Int) -> String {
        var signs = width - (header.count + 2)
        if signs <= 0 {
            signs = 4
        }
        if signs % 2 != 0 {
            signs += 1
        }
        let side = String(repeating: "=", count: signs / 2)
        return "\(side) \(header) \(side)"
    }

    /// The title over a map's table: as wide as its longest key plus the "Value" column.
    static func header(_ title: String, for data: JSONObject) -> String {
        padEqualSigns(title, width: (data.keys.map(\.count).max() ?? 0) + 4 + 5)
    }

    /// The "= Secret Path =" block.
    static func printPath(_ fullPath: String, title: String) {
        Console.output(padEqualSigns(title, width: fullPath.count))
        Console.output(fullPath)
        Console.output("")
    }
}
