#!/usr/bin/env python3
"""Record OpenBao's answers to ACL questions, for Coffer's differential ACL test.

Starts `bao server -dev` on a free loopback port (stopped by PID when done), writes
the policies below through the HTTP API and records, into cases.json next to this
script:

  cases            sys/capabilities for every (policy set, path) pair, answered with a
                   token holding exactly that set (hand-written sets plus 80 seeded
                   random ones);
  parse_cases      whether OpenBao accepts each probe document as a policy, and what
                   an accepted one grants on a few paths;
  operation_cases  HTTP status of real create/update/read/list/delete requests on kv
                   mounts, for 40 of the random sets (sys/capabilities only judges lists);
  parameter_cases  writes and wrapped reads under parameter/wrapping constraints, and
                   HCL literals judged by what OpenBao decoded them to;
  openbao_default_policy  the built-in default policy's text.

Tests/PolicyTests/ACLOracleTests.swift replays all of it against Coffer. The output
is deterministic for a given OpenBao version (random parts use a fixed seed).

Usage: python3 tests/acl-oracle/record.py   (needs `bao` on PATH and `requests`)
"""

import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT_TOKEN = "root"

# The name "default" is OpenBao's built-in default policy; Coffer compares it with
# Policy.defaultPolicy, so it is not written here.
POLICIES = {
    # A trading firm's design: one strategy key readable, all other exchange keys
    # denied by a segment wildcard, reporting denied by a glob.
    "trading": """
path "secret/data/trading/exchange-keys/strategy-alpha" { capabilities = ["read"] }
path "secret/data/trading/tls/trading-engine" { capabilities = ["read"] }
path "auth/token/renew-self" { capabilities = ["update"] }
path "auth/token/lookup-self" { capabilities = ["read"] }
path "secret/data/trading/exchange-keys/+" { capabilities = ["deny"] }
path "secret/data/reporting/*" { capabilities = ["deny"] }
""",
    # Globs against segment wildcards at different positions.
    "globs": """
path "secret/*" { capabilities = ["read"] }
path "secret/data/*" { capabilities = ["read", "list"] }
path "secret/data/app/*" { capabilities = ["create", "update"] }
path "secret/data/app/exact" { capabilities = ["delete"] }
path "secret/data/+/config" { capabilities = ["read", "update"] }
path "secret/data/+/config*" { capabilities = ["list"] }
path "secret/+/team-*" { capabilities = ["patch"] }
path "secret/metadata/" { capabilities = ["list"] }
path "kv/*" { capabilities = ["read"] }
path "kv/a*" { capabilities = ["update"] }
path "kv/ab*" { capabilities = ["delete"] }
path "kv/+" { capabilities = ["list"] }
path "kv/+/+" { capabilities = ["create"] }
path "kv/+/x" { capabilities = ["sudo", "read"] }
path "kv/a/+" { capabilities = ["patch"] }
path "+/anywhere" { capabilities = ["read", "create"] }
""",
    # Several `+` segments competing with each other and with globs.
    "multiplus": """
path "org/+/team/+/secrets/+" { capabilities = ["read"] }
path "org/+/team/+/*" { capabilities = ["list"] }
path "org/acme/+/+/secrets/+" { capabilities = ["update"] }
path "org/+/+/+/secrets/db" { capabilities = ["delete"] }
path "org/acme/team/+/secrets/+" { capabilities = ["create"] }
path "org/*" { capabilities = ["sudo"] }
path "org/acme/team/blue/secrets/*" { capabilities = ["patch"] }
""",
    # Deny merging across two policies on the same patterns.
    "shared-reader": """
path "shared/*" { capabilities = ["read", "list"] }
path "shared/prod/db" { capabilities = ["read", "update"] }
path "shared/+/public" { capabilities = ["read"] }
path "shared/prod/*" { capabilities = ["read"] }
""",
    "shared-denier": """
path "shared/prod/*" { capabilities = ["deny"] }
path "shared/prod/db" { capabilities = ["deny"] }
path "shared/+/public" { capabilities = ["update"] }
path "shared/dev/*" { capabilities = ["create"] }
""",
    # Union of capabilities across two policies for the same pattern.
    "team-read": """
path "team/x/*" { capabilities = ["read"] }
path "team/+/notes" { capabilities = ["read"] }
path "team/y" { capabilities = ["list"] }
""",
    "team-write": """
path "team/x/*" { capabilities = ["create", "update"] }
path "team/+/notes" { capabilities = ["patch"] }
path "team/y" { capabilities = ["read"] }
""",
    # Operator-style sudo paths and the legacy `policy =` shorthand.
    "operator": """
path "sys/mounts/*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }
path "sys/policies/acl/*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }
path "sys/seal" { capabilities = ["update", "sudo"] }
path "sys/raw/*" { policy = "sudo" }
path "sys/audit" { capabilities = ["read", "sudo"] }
path "sys/audit/*" { capabilities = ["deny"] }
path "legacy/read/*" { policy = "read" }
path "legacy/write/*" { policy = "write" }
path "legacy/deny/*" { policy = "deny" }
path "legacy/mixed" {
  policy = "read"
  capabilities = ["update"]
}
""",
    # Odd corners: empty capabilities, deny plus others, leading slash, list fallback,
    # scan, duplicate stanzas in one policy.
    "edges": """
path "e/*" { capabilities = ["read"] }
path "e/x/*" { capabilities = [] }
path "e/y" { capabilities = ["read", "deny", "update"] }
path "/leading/slash" { capabilities = ["read"] }
path "dir/list" { capabilities = ["list"] }
path "dir/list/" { capabilities = ["read"] }
path "dir/glob*" { capabilities = ["list", "scan"] }
path "dup/x" { capabilities = ["read"] }
path "dup/x" { capabilities = ["update"] }
path "plus/+" { capabilities = ["read"] }
path "plus/+/*" { capabilities = ["update"] }
path "plus/a+b/c" { capabilities = ["delete"] }
""",
}

# Parameter and wrapping constraints, judged with real requests under the kv mount "a".
POLICIES.update({
    "params-allowed": """
path "a/p1/*" {
  capabilities = ["create", "update", "read"]
  allowed_parameters = { "color" = ["red", "bl*"] "size" = [] "Case" = ["*x*"] }
}
""",
    "params-denied": """
path "a/p2/*" {
  capabilities = ["create", "update"]
  denied_parameters = { "secret" = [] "mode" = ["*-unsafe", "root"] }
}
""",
    "params-required": """
path "a/p3/*" {
  capabilities = ["create", "update"]
  required_parameters = ["owner"]
  allowed_parameters = { "*" = [] }
}
""",
    "params-star": """
path "a/p4/*" {
  capabilities = ["create"]
  allowed_parameters = { "*" = ["x"] "id" = ["1*"] }
}
""",
    "params-deny-all": """
path "a/p5/*" {
  capabilities = ["create"]
  denied_parameters = { "*" = [] }
}
""",
    "params-merge-1": """
path "a/p6/*" {
  capabilities = ["create"]
  allowed_parameters = { "color" = ["red"] "size" = [] }
  required_parameters = ["color"]
}
""",
    "params-merge-2": """
path "a/p6/*" {
  capabilities = ["create"]
  allowed_parameters = { "color" = ["blue"] "size" = ["m"] "shape" = ["round"] }
}
""",
    "params-values": """
path "a/p8/*" {
  capabilities = ["create"]
  allowed_parameters = { "n" = [1, "1"] "b" = [true] "l" = [] }
}
""",
    "wrapping": """
path "a/p7/*" {
  capabilities = ["create", "update", "read"]
  min_wrapping_ttl = "1m"
  max_wrapping_ttl = "1h"
}
""",
})

PARAMETER_PROBES = [
    (["params-allowed"], "a/p1/k", [
        {}, {"color": "red"}, {"color": "blue"}, {"color": "black"}, {"color": "green"},
        {"size": "xl"}, {"color": "red", "size": 3}, {"other": "x"}, {"COLOR": "red"},
        {"case": "axb"}, {"case": "ab"}, {"color": None},
    ]),
    (["params-denied"], "a/p2/k", [
        {}, {"secret": "x"}, {"mode": "root"}, {"mode": "rw-unsafe"}, {"mode": "rw"}, {"other": 1},
        {"Secret": "x"},
    ]),
    (["params-required"], "a/p3/k", [{}, {"owner": "me"}, {"Owner": "me"}, {"owner": "me", "x": 1}, {"x": 1}]),
    (["params-star"], "a/p4/k", [
        {}, {"id": "123"}, {"id": "23"}, {"other": "x"}, {"other": "y"}, {"id": "1", "z": "q"},
    ]),
    (["params-deny-all"], "a/p5/k", [{}, {"x": "y"}]),
    (["params-merge-1", "params-merge-2"], "a/p6/k", [
        {}, {"color": "red"}, {"color": "blue"}, {"color": "red", "size": "xl"}, {"color": "red", "shape": "round"},
        {"color": "red", "shape": "square"}, {"size": "m"},
    ]),
    (["params-merge-2"], "a/p6/k", [{}, {"color": "blue", "size": "m"}, {"size": "l"}]),
    (["params-values"], "a/p8/k", [
        {"n": 1}, {"n": "1"}, {"n": 1.0}, {"b": True}, {"b": False}, {"b": "true"}, {"l": [1, 2]},
        {"l": {"a": "b"}},
    ]),
]

# HCL string syntax judged by meaning: the literal is the only allowed value of "v", and
# a write with {"v": candidate} succeeds only if OpenBao decoded the literal to the candidate.
LITERAL_PROBES = [
    ('"a\\nb"', ["a\nb", "a\\nb"]),
    ('"tab\\there"', ["tab\there", "tab\\there"]),
    ('"q\\"uote"', ['q"uote', 'q\\"uote']),
    ('"back\\\\slash"', ["back\\slash", "back\\\\slash"]),
    ('"\\u00e9t\\u00e9"', ["\u00e9t\u00e9", "\\u00e9t\\u00e9"]),
    ('"\\U0001F600"', ["\U0001F600", "U0001F600"]),
    ('"\\x41\\101"', ["AA", "\\x41\\101"]),
    ('"${a.b} and ${x("q")}"', ['${a.b} and ${x("q")}', "and"]),
    ('"caf\u00e9 \u2713"', ["caf\u00e9 \u2713", "cafe"]),
    ('<<EOF\nline one\n  line two\nEOF\n', ["line one\n  line two\n", "line one\n  line two"]),
    ('<<-EOF\n    alpha\n      beta\n    EOF\n', ["alpha\n  beta\n", "    alpha\n      beta\n"]),
    ('<<EOF\nx\n  EOF\n', ["x\n", "x"]),
    ('<<EOF\n\nEOF\n', ["\n", ""]),
    ('<<-EOF\n  a\n b\n  EOF\n', [" a\n b\n", "  a\n b\n", "a\nb\n"]),
    ('"a\\a\\b\\f\\v"', ["a\a\b\f\v", "aabfv"]),
]

WRAP_PROBES = [(["wrapping"], "a/p7/k", [None, "30s", "1m", "5m", "1h", "2h"])]

# The same kind of rules in the JSON form Vault accepts.
POLICIES["json-form"] = json.dumps({
    "path": {
        "json/*": {"capabilities": ["read"]},
        "json/+/deep": {"capabilities": ["update", "list"]},
        "json/fixed": {"capabilities": ["deny"]},
    }
})

PROBES = {
    "trading": [
        "secret/data/trading/exchange-keys/strategy-alpha",
        "secret/data/trading/exchange-keys/strategy-beta",
        "secret/data/trading/exchange-keys/",
        "secret/data/trading/exchange-keys",
        "secret/data/trading/exchange-keys/strategy-alpha/",
        "secret/data/trading/exchange-keys/strategy-alpha/v2",
        "secret/data/trading/exchange-keys/binance",
        "secret/data/trading/tls/trading-engine",
        "secret/data/trading/tls/trading-engine-2",
        "secret/data/trading/tls/other",
        "secret/data/reporting/",
        "secret/data/reporting",
        "secret/data/reporting/q1",
        "secret/data/reporting/q1/summary",
        "secret/data/trading",
        "secret/metadata/trading/exchange-keys/strategy-alpha",
        "auth/token/renew-self",
        "auth/token/lookup-self",
        "auth/token/lookup",
        "/secret/data/trading/exchange-keys/strategy-alpha",
        "sys/capabilities-self",
        "cubbyhole/foo",
    ],
    "globs": [
        "secret/foo", "secret/data/foo", "secret/data/app/foo", "secret/data/app/exact",
        "secret/data/app/exact/", "secret/data/web/config", "secret/data/app/config",
        "secret/data/web/configs", "secret/data/web/config/x", "secret/data/web/other",
        "secret/metadata/team-a", "secret/data/team-a", "secret/data/team-", "secret/metadata/",
        "secret/metadata", "secret/metadata/x", "kv/", "kv", "kv/b", "kv/a", "kv/abc", "kv/ab",
        "kv/b/c", "kv/b/x", "kv/a/x", "kv/a/y", "kv/b/c/d", "kv/a/", "x/anywhere", "kv/anywhere",
        "secret/anywhere", "anywhere", "other/path",
    ],
    "multiplus": [
        "org/acme/team/blue/secrets/db", "org/acme/team/blue/secrets/api",
        "org/other/team/blue/secrets/api", "org/other/team/blue/secrets/db",
        "org/acme/group/blue/secrets/api", "org/acme/group/blue/secrets/db",
        "org/other/group/x/secrets/db", "org/other/team/red/keys", "org/other/team/red/",
        "org/other/team/red", "org/acme/team/red/secrets/db", "org/acme/team/red/secrets/x/y",
        "org/acme/team/blue/secrets/", "org/acme", "org/", "org",
    ],
    "shared": [
        "shared/dev/db", "shared/prod/db", "shared/prod/cache", "shared/prod/", "shared/prod",
        "shared/dev/public", "shared/prod/public", "shared/x", "shared/", "shared/dev/other",
    ],
    "team": [
        "team/x/a", "team/x/", "team/x", "team/x/notes", "team/z/notes", "team/y", "team/y/",
        "team/y/z",
    ],
    "operator": [
        "sys/mounts/secret", "sys/mounts", "sys/policies/acl/foo", "sys/policies/acl", "sys/seal",
        "sys/raw/logical/x", "sys/audit", "sys/audit/file", "sys/audit/", "legacy/read/a",
        "legacy/write/a", "legacy/deny/a", "legacy/mixed", "legacy/other",
    ],
    "edges": [
        "e/a", "e/x/a", "e/x/", "e/x", "e/y", "leading/slash", "/leading/slash", "dir/list",
        "dir/list/", "dir/glob", "dir/globber/x", "dup/x", "plus/a", "plus/a/b", "plus/a/",
        "plus/", "plus", "plus/a+b/c", "plus/z/c", "e//a", "dir//list",
    ],
    "json": ["json/a", "json/fixed", "json/x/deep", "json/x/deep/er", "json/fixed/"],
    "default": [
        "auth/token/lookup-self", "auth/token/renew-self", "auth/token/revoke-self",
        "sys/capabilities-self", "identity/entity/id/abc", "identity/entity/name/bob",
        "sys/internal/ui/resultant-acl", "sys/leases/renew", "sys/leases/lookup",
        "sys/leases/revoke", "cubbyhole/", "cubbyhole/foo", "cubbyhole", "sys/wrapping/wrap",
        "sys/wrapping/lookup", "sys/wrapping/unwrap", "sys/wrapping/rewrap", "sys/tools/hash",
        "sys/tools/hash/sha2-256", "sys/tools/random", "identity/oidc/provider/p1/authorize",
        "identity/oidc/provider/p1/token", "secret/data/x",
    ],
}

# (policy set, probe groups). Policies in a set are attached to one token.
SETS = [
    (["trading"], ["trading"]),
    (["globs"], ["globs"]),
    (["multiplus"], ["multiplus"]),
    (["shared-reader"], ["shared"]),
    (["shared-denier"], ["shared"]),
    (["shared-reader", "shared-denier"], ["shared"]),
    (["team-read", "team-write"], ["team"]),
    (["team-read"], ["team"]),
    (["operator"], ["operator"]),
    (["edges"], ["edges"]),
    (["json-form"], ["json"]),
    (["default"], ["default"]),
    (["default", "trading"], ["trading", "default"]),
    (["globs", "trading"], ["trading"]),
]


# Documents to write as policies; OpenBao's accept/reject decision is recorded. Coffer
# must decide the same, except for the keys listed in "coffer_refuses" (features that
# restrict access which Coffer does not implement, so it refuses them instead of
# silently granting more).
PARSE_PROBES = [
    'path "a/*" { capabilities = ["read"] }',
    'path "a/*" { capabilities = ["subscribe"] }',
    'path "a/*" { capabilities = ["Read"] }',
    'path "a/*" { capabilities = "read" }',
    'path "a/*" { capabilities = [] }',
    'path "a/*" { }',
    'path "a/*" { capabilities = ["read", "deny", "bogus"] }',
    'path "a/*" { capabilities = ["bogus", "deny"] }',
    'path "a/*" { policy = "write" }',
    'path "a/*" { policy = "admin" }',
    'path "a/+*" { capabilities = ["read"] }',
    'path "a/*" { foo = 1 }',
    'foo "a" { }',
    'name = "x"\npath "a/*" { capabilities = ["read"] }',
    'path "a/*" { capabilities = ["read"] min_wrapping_ttl = "1h" max_wrapping_ttl = 100 }',
    'path "a/*" { capabilities = ["read"] min_wrapping_ttl = "10m" max_wrapping_ttl = "1h" }',
    'path "a/*" { capabilities = ["read"] min_wrapping_ttl = "bogus" }',
    'path "a/*" { capabilities = ["read"] allowed_parameters = { "x" = [] "y" = ["a", 1] } }',
    'path "a/*" { capabilities = ["read"] denied_parameters = { "*" = [] } }',
    'path "a/*" { capabilities = ["read"] required_parameters = ["x"] }',
    'path "a/*" { capabilities = ["read"] comment = "x" }',
    'path "a/*" { capabilities = ["read"] } path "a/*" { capabilities = ["update"] }',
    'path "a/*" { capabilities = ["read"]',
    'path "a/*" = { capabilities = ["read"] }',
    'path "a" "b" { capabilities = ["read"] }',
    '{"path": {"a/*": {"capabilities": ["read"]}}}',
    '{"path": {"a/*": {"capabilities": ["fly"]}}}',
    '{"path": [{"a/*": {"capabilities": ["read"]}}, {"b/*": {"capabilities": ["list"]}}]}',
    'path "a/*" { capabilities = ["read"] expiration = "2030-01-01T00:00:00Z" }',
    'path "a/*" { capabilities = ["read"] mfa_methods = ["m"] }',
    'path "a/*" { capabilities = ["list"] pagination_limit = 5 }',
    'path { capabilities = ["read"] }',
    'path "a/*" { capabilities = ["read"] allowed_parameters = { "x" = "y" } }',
    'path "a/*" { capabilities = ["read"] required_parameters = "x" }',
    'path "a/*" { capabilities = ["read"] min_wrapping_ttl = 90 max_wrapping_ttl = "2m" }',
    'path "a/*" { capabilities = ["read", "scan", "patch"] }',
    'path "a/*" { capabilities = ["read"] comment = 5 }',
    '# only a comment',
    # HCL1 syntax corners, so OpenBao's parser also checks Coffer's HCL parser.
    'path "a/*" { capabilities = ["read",] }',
    'path "a/*" { capabilities = ["read"], comment = "x" }',
    'path "a/*" {\n  comment = <<EOT\nmulti\nline\nEOT\n  capabilities = ["read"]\n}',
    'path "a/*" {\n  comment = <<-EOT\n    indented\n    EOT\n  capabilities = ["read"]\n}',
    '# c\n// c\n/* c */ path "a/*" { capabilities = ["read"] }',
    '/* unterminated path "a/*" { capabilities = ["read"] }',
    'path "a/*" { capabilities = ["re\\u0061d"] }',
    'path "a/*" { capabilities = ["read"] } }',
    'path "a/*" { capabilities = [read] }',
    'path a { capabilities = ["read"] }',
    'path "a/*" { capabilities = ["read"] comment = 0x10 }',
    'path "a/*" { capabilities = ["read"] comment = 1.5e3 }',
    'path "a/*" { capabilities = ["read"] comment = "unterminated }',
    'path "a/*" { capabilities = ["read"] comment = "${x}" }',
    'path "a/*" { "capabilities" = ["read"] }',
    'path "a/*" { capabilities = ["read" "list"] }',
    'path "a/*" {} path "b/*" {}',
    'path "a/*" { capabilities = [["read"]] }',
    'path "a/*" { capabilities = ["read"] comment = true }',
    'path "a/*" { capabilities = ["read"] comment = -7 }',
    '{"path": {"a/*": {"capabilities": ["read"]}},}',
    '{"path": {"a/*": {"capabilities": "read"}}}',
    '{"path": {"a/*": {"capabilities": ["read"], "policy": "write"}}}',
    ' \n {"path": {"a/*": {}}}',
    '{"path": {"a/*": {"capabilities": ["read"]}}, "name": "x"}',
    '{"path": {"a/*": {"capabilities": ["read"]}}, "other": 1}',
    'path "a/*" { capabilities = ["read"] }\n\u00e9 = 1',
    'path "a/*" { capabilities = ["read"] }\npath "a/*" { capabilities = ["deny"] }',
    'path "a/+" { capabilities = ["list"] }\npath "a/x" { policy = "read" capabilities = ["sudo"] }',
]

# Paths asked for every accepted parse probe, to check what the document means.
PARSE_PATHS = ["a/x", "a/", "a", "b/x", "path", "a/*"]


# Seeded random policies and paths over a small alphabet, so priority corner cases
# (globs and "+" at every position, overlaps, deny merging) come up often.
RANDOM_SEED = 20261122
RANDOM_SEGMENTS = ["a", "b", "ab", "c"]
RANDOM_CAPABILITIES = ["create", "read", "update", "patch", "delete", "list", "sudo"]


def random_pattern(rng):
    parts = [rng.choice(RANDOM_SEGMENTS + ["+"]) for _ in range(rng.randint(1, 4))]
    pattern = "/".join(parts)
    roll = rng.random()
    if roll < 0.3:
        pattern += "*"
    elif roll < 0.45:
        pattern += "/*"
    elif roll < 0.55:
        pattern = pattern[:-1] + "*" if len(parts[-1]) > 1 and parts[-1] != "+" else pattern + "/*"
    return None if "+*" in pattern else pattern


def random_policy(rng):
    lines = []
    for _ in range(rng.randint(4, 9)):
        pattern = random_pattern(rng)
        if pattern is None:
            continue
        if rng.random() < 0.15:
            capabilities = ["deny"]
        else:
            capabilities = sorted(rng.sample(RANDOM_CAPABILITIES, rng.randint(0, 3)))
        quoted = ", ".join(f'"{c}"' for c in capabilities)
        lines.append(f'path "{pattern}" {{ capabilities = [{quoted}] }}')
    return "\n".join(lines) + "\n"


def random_path(rng):
    parts = [rng.choice(RANDOM_SEGMENTS + ["abc", "x"]) for _ in range(rng.randint(1, 5))]
    path = "/".join(parts)
    return path + "/" if rng.random() < 0.15 else path


def random_sets(rng, count):
    names = []
    for index in range(count):
        name = f"random-{index}"
        POLICIES[name] = random_policy(rng)
        names.append(name)
    sets = []
    for index in range(count):
        chosen = [names[index]]
        if rng.random() < 0.5:
            other = rng.choice(names)
            if other != names[index]:
                chosen.append(other)
        paths = list(dict.fromkeys(random_path(rng) for _ in range(24)))
        PROBES[f"random-{index}"] = paths
        sets.append((chosen, [f"random-{index}"]))
    return sets


SETS.extend(random_sets(random.Random(RANDOM_SEED), 80))


# Real requests, to check ACL decisions for operations other than list (sys/capabilities
# always judges as a list). kv v1 mounts at these names cover the random policies' paths.
OPERATION_MOUNTS = ["a", "b", "ab", "c"]
OPERATION_SETS = 40  # the first N random sets


def probe_operations(bao, token, path):
    """HTTP status per operation for one path, in an order that exercises create, then update."""
    session = bao.session
    url = f"{bao.address}/v1/{path}"
    as_token = {"X-Vault-Token": token}
    as_root = {"X-Vault-Token": ROOT_TOKEN}
    status = {}
    session.delete(url, headers=as_root, timeout=10)
    status["create"] = session.put(url, headers=as_token, json={"v": "1"}, timeout=10).status_code
    session.put(url, headers=as_root, json={"v": "1"}, timeout=10)
    status["update"] = session.put(url, headers=as_token, json={"v": "2"}, timeout=10).status_code
    status["read"] = session.get(url, headers=as_token, timeout=10).status_code
    status["list"] = session.request("LIST", url, headers=as_token, timeout=10).status_code
    status["delete"] = session.delete(url, headers=as_token, timeout=10).status_code
    return status


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Bao:
    def __init__(self, address):
        self.address = address
        self.session = requests.Session()

    def call(self, method, path, body=None, token=None):
        headers = {"X-Vault-Token": token or ROOT_TOKEN}
        response = requests.request(method, f"{self.address}/v1/{path}", headers=headers, json=body, timeout=10)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.text else None

    def wait_until_ready(self, process, deadline_seconds=60):
        deadline = time.time() + deadline_seconds
        while time.time() < deadline:
            if process.poll() is not None:
                raise RuntimeError("bao server exited early")
            try:
                if requests.get(f"{self.address}/v1/sys/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError("bao server did not become ready")


def record(bao):
    for name, text in POLICIES.items():
        bao.call("PUT", f"sys/policies/acl/{name}", {"policy": text})
    version = bao.call("GET", "sys/seal-status")["version"]
    cases = []
    for policy_set, groups in SETS:
        token = bao.call("POST", "auth/token/create", {
            "policies": policy_set,
            "no_default_policy": "default" not in policy_set,
        })["auth"]["client_token"]
        held = sorted(bao.call("POST", "auth/token/lookup", {"token": token})["data"]["policies"])
        if held != sorted(policy_set):
            raise RuntimeError(f"token holds {held}, wanted {sorted(policy_set)}")
        paths = list(dict.fromkeys(path for group in groups for path in PROBES[group]))
        answer = bao.call("POST", "sys/capabilities", {"token": token, "paths": paths})
        for path in paths:
            cases.append({"policies": policy_set, "path": path, "capabilities": sorted(answer[path])})
    parse_cases = []
    for index, text in enumerate(PARSE_PROBES):
        response = requests.put(
            f"{bao.address}/v1/sys/policies/acl/parse-probe-{index}",
            headers={"X-Vault-Token": ROOT_TOKEN}, json={"policy": text}, timeout=10,
        )
        errors = response.json().get("errors", []) if response.text else []
        accepted = response.status_code == 204
        answers = {}
        if accepted:
            token = bao.call("POST", "auth/token/create", {
                "policies": [f"parse-probe-{index}"], "no_default_policy": True,
            })["auth"]["client_token"]
            answer = bao.call("POST", "sys/capabilities", {"token": token, "paths": PARSE_PATHS})
            answers = {path: sorted(answer[path]) for path in PARSE_PATHS}
        parse_cases.append({"text": text, "accepted": accepted, "errors": errors, "capabilities": answers})
    default_text = bao.call("GET", "sys/policies/acl/default")["data"]["policy"]
    for mount in OPERATION_MOUNTS:
        bao.call("POST", f"sys/mounts/{mount}", {"type": "kv", "options": {"version": "1"}})
    operation_cases = []
    for policy_set, groups in SETS:
        if not groups[0].startswith("random-") or int(groups[0].split("-")[1]) >= OPERATION_SETS:
            continue
        token = bao.call("POST", "auth/token/create", {
            "policies": policy_set, "no_default_policy": True,
        })["auth"]["client_token"]
        for path in PROBES[groups[0]]:
            operation_cases.append({"policies": policy_set, "path": path,
                                    "status": probe_operations(bao, token, path)})
    # The root token: every path answers "root".
    answer = bao.call("POST", "sys/capabilities", {"token": ROOT_TOKEN, "paths": ["secret/x", "sys/seal"]})
    for path in ["secret/x", "sys/seal"]:
        cases.append({"policies": ["root"], "path": path, "capabilities": sorted(answer[path])})
    parameter_cases = []
    for policy_set, path, bodies in PARAMETER_PROBES:
        token = bao.call("POST", "auth/token/create", {
            "policies": policy_set, "no_default_policy": True,
        })["auth"]["client_token"]
        url = f"{bao.address}/v1/{path}"
        for body in bodies:
            bao.session.delete(url, headers={"X-Vault-Token": ROOT_TOKEN}, timeout=10)
            status = bao.session.put(url, headers={"X-Vault-Token": token}, data=json.dumps(body),
                                     timeout=10).status_code
            parameter_cases.append({"policies": policy_set, "path": path, "operation": "create",
                                    "body": json.dumps(body), "wrap_ttl": None, "status": status})
    for index, (literal, candidates) in enumerate(LITERAL_PROBES):
        name = f"literal-{index}"
        text = (f'path "a/lit{index}/*" {{\n  capabilities = ["create"]\n'
                f'  allowed_parameters = {{ "v" = [{literal}] }}\n}}\n')
        POLICIES[name] = text
        bao.call("PUT", f"sys/policies/acl/{name}", {"policy": text})
        token = bao.call("POST", "auth/token/create", {
            "policies": [name], "no_default_policy": True,
        })["auth"]["client_token"]
        url = f"{bao.address}/v1/a/lit{index}/k"
        for candidate in candidates:
            bao.session.delete(url, headers={"X-Vault-Token": ROOT_TOKEN}, timeout=10)
            body = json.dumps({"v": candidate})
            status = bao.session.put(url, headers={"X-Vault-Token": token}, data=body, timeout=10).status_code
            parameter_cases.append({"policies": [name], "path": f"a/lit{index}/k", "operation": "create",
                                    "body": body, "wrap_ttl": None, "status": status})
    for policy_set, path, ttls in WRAP_PROBES:
        token = bao.call("POST", "auth/token/create", {
            "policies": policy_set, "no_default_policy": True,
        })["auth"]["client_token"]
        url = f"{bao.address}/v1/{path}"
        bao.session.put(url, headers={"X-Vault-Token": ROOT_TOKEN}, json={"v": "1"}, timeout=10)
        for ttl in ttls:
            headers = {"X-Vault-Token": token}
            if ttl:
                headers["X-Vault-Wrap-TTL"] = ttl
            status = bao.session.get(url, headers=headers, timeout=10).status_code
            parameter_cases.append({"policies": policy_set, "path": path, "operation": "read",
                                    "body": "{}", "wrap_ttl": ttl, "status": status})
    return version, cases, parse_cases, default_text, operation_cases, parameter_cases


def main():
    port = free_port()
    address = f"http://127.0.0.1:{port}"
    log = tempfile.NamedTemporaryFile(prefix="bao-oracle-", suffix=".log", delete=False)
    process = subprocess.Popen(
        ["bao", "server", "-dev", f"-dev-root-token-id={ROOT_TOKEN}", f"-dev-listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        bao = Bao(address)
        bao.wait_until_ready(process)
        version, cases, parse_cases, default_text, operation_cases, parameter_cases = record(bao)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
    output = {
        "generated_by": "tests/acl-oracle/record.py",
        "openbao_version": version,
        "note": "capabilities are sys/capabilities answers; 'default' is OpenBao's built-in default policy",
        "policies": POLICIES,
        "cases": cases,
        "parse_cases": parse_cases,
        "operation_cases": operation_cases,
        "operation_mounts": OPERATION_MOUNTS,
        "parameter_cases": parameter_cases,
        "coffer_refuses": ["expiration", "mfa_methods", "pagination_limit", "control_group",
                           "list_scan_response_keys_filter_path"],
        "openbao_default_policy": default_text,
    }
    # One case per line keeps the file reviewable and diffs small.
    lines = []
    for key, value in output.items():
        if isinstance(value, list):
            items = ",\n".join("  " + json.dumps(item) for item in value)
            lines.append(f"{json.dumps(key)}: [\n{items}\n ]")
        else:
            lines.append(f"{json.dumps(key)}: {json.dumps(value, indent=1)}")
    with open(os.path.join(HERE, "cases.json"), "w") as handle:
        handle.write("{\n " + ",\n ".join(lines) + "\n}\n")
    print(f"recorded {len(cases)} capability, {len(parse_cases)} parse, {len(operation_cases)} operation "
          f"and {len(parameter_cases)} parameter cases from OpenBao {version}")


if __name__ == "__main__":
    sys.exit(main())
