"""Garbage, truncated, oversized and wrongly typed JSON on every endpoint: a Vault-style
4xx error, and the node keeps serving. Seeded; COFFER_SEED replays a run."""

import json
import os
import random

import pytest

ENDPOINTS = [
    ("PUT", "sys/init"), ("PUT", "sys/unseal"), ("PUT", "sys/seal"), ("PUT", "sys/rotate"),
    ("PUT", "sys/rotate/keyring"), ("PUT", "sys/rekey/init"), ("PUT", "sys/rekey/update"),
    ("PUT", "sys/rotate/root/init"), ("PUT", "sys/rotate/root/update"), ("POST", "sys/unseal"),
    ("PATCH", "sys/unseal"), ("PUT", "sys/health"), ("PUT", "secret/data/x"), ("PUT", "sys/key-status"),
]

FIELDS = ["secret_shares", "secret_threshold", "key", "reset", "nonce", "pgp_keys", "require_verification"]


def bodies(rng):
    valid = json.dumps({"secret_shares": 3, "secret_threshold": 2}).encode()
    yield b"garbage"
    yield b"{"
    yield b'{"key": "abc'
    yield valid[: len(valid) // 2]
    yield b"\x00\xff\xfe" * 50
    yield b"[" * 10000 + b"]" * 10000
    yield b'{"a":' * 5000 + b"1" + b"}" * 5000
    yield json.dumps({"key": "a" * 1_000_000}).encode()
    yield b"null"
    yield b"123"
    yield b'"string"'
    for field in FIELDS:
        for value in [None, True, 1, -1, 2**63, 1.5, "x", [], {}, ["a"], {"a": 1}, "\u0000", "🔑" * 10]:
            yield json.dumps({field: value}).encode()
    for _ in range(60):
        size = rng.randrange(1, 400)
        yield bytes(rng.randrange(256) for _ in range(size))
        fields = {rng.choice(FIELDS): rng.choice([None, 0, 300, -5, "zz", "00" * 17, [1], {"k": []}])
                  for _ in range(rng.randrange(1, 4))}
        yield json.dumps(fields).encode()


@pytest.mark.parametrize("initialised", [False, True])
def test_bad_bodies_get_4xx_and_the_node_keeps_serving(coffer, initialised):
    seed = int(os.environ.get("COFFER_SEED", random.randrange(2**32)))
    print(f"COFFER_SEED={seed}")
    rng = random.Random(seed)
    token = None
    if initialised:
        _, answer = coffer.call("PUT", "sys/init", {"secret_shares": 1, "secret_threshold": 1})
        coffer.call("PUT", "sys/unseal", {"key": answer["keys"][0]})
        token = answer["root_token"]
    failures = []
    for body in bodies(rng):
        for method, path in ENDPOINTS:
            # A root token on sys/seal would seal the node, whatever the body: send none there.
            status, answer = coffer.call(method, path, raw=body, token=None if path == "sys/seal" else token)
            if status >= 500 and not (status == 503 and not initialised):
                failures.append((method, path, body[:60], status, answer))
            elif status >= 400 and not (isinstance(answer, dict) and isinstance(answer.get("errors"), list)):
                failures.append((method, path, body[:60], status, answer))
        assert coffer.process.poll() is None, f"server died (seed {seed})"
    assert not failures, f"seed {seed}: {failures[:5]}"
    # Still serving, and nothing changed by the garbage.
    status, body = coffer.call("GET", "sys/seal-status")
    assert status == 200
    assert body["initialized"] is initialised
    if initialised:
        assert body["sealed"] is False and body["n"] == 1
