"""The intended differences between Coffer and OpenBao 2.7.2, in one place.

Each entry names a request (method, path) and what differs, with why. The
differential tests ignore exactly these and nothing else."""

# Fields that only one side sends, per endpoint: name -> reason.
EXTRA_FIELDS = {
    ("GET", "sys/leader"): {},
}

# Requests whose status code differs on purpose: (method, path, scenario) -> (bao, coffer, reason).
STATUS = {
    ("PUT", "sys/rekey/init", "threshold>shares"): (
        500, 400,
        "OpenBao answers 500 for an invalid rekey configuration; it is the caller's mistake, so 400.",
    ),
}

# Requests whose error text differs on purpose: (method, path, scenario) -> reason.
ERROR_TEXT = {
    ("PUT", "sys/init", "garbage"): "OpenBao quotes Go's JSON decoder; Coffer names the problem in its own words.",
    ("PUT", "sys/init", "string shares"): "Same: Go's decoder message vs Coffer's.",
    ("PUT", "sys/unseal", "wrong share set"): "OpenBao includes Go's cipher error text.",
    ("PUT", "sys/unseal", "number key"): "Go decoder message.",
    ("PUT", "sys/unseal", "array body"): "Go decoder message.",
    ("PUT", "sys/unseal", "length mismatch"): "OpenBao quotes its Shamir library's error.",
    ("PUT", "sys/rekey/init", "threshold>shares"): "See STATUS.",
}

# Fields whose values differ by nature (random ids, times, versions) and are compared by type only.
VOLATILE = {
    "nonce", "keys", "keys_base64", "root_token", "cluster_name", "cluster_id", "server_time_utc",
    "version", "commit_date", "build_date", "request_id", "install_time", "encryptions", "storage_type",
}

# Seen in OpenBao 2.7.2, not copied: among 20 concurrent requests on a num_uses=1 token,
# one loser sometimes gets 500 instead of 403. Coffer answers 403 to every loser.
CONCURRENT_SINGLE_USE_500 = True

# Audit entries: fields OpenBao writes that Coffer does not, per part of an entry -> reason.
# Coffer adds one field of its own to every line: "chain" (seq, prev, mac; see the Audit module).
AUDIT_NOT_SENT = {
    "auth": {
        "policy_results": "Which policies granted the request: Coffer's ACL does not report it yet.",
    },
    "request": {
        "client_id": "OpenBao's client-count id (an entity or a token hash); Coffer has no client counting.",
        "mount_running_version": "Plugin versions; Coffer's engines are built in and unversioned.",
        "remote_port": "Coffer's core sees the client's address, not its port.",
    },
    "response": {
        "mount_running_plugin_version": "Plugin versions, as above.",
    },
}
