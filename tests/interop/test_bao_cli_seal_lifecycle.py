"""OpenBao's own CLI against Coffer and against `bao server`: the same commands must
give the same outcomes (exit codes, fields, state changes)."""

import json

import pexpect
import pytest


def init(server, shares=5, threshold=3):
    out = server.cli("operator", "init", f"-key-shares={shares}", f"-key-threshold={threshold}", "-format=json")
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert len(answer["unseal_keys_b64"]) == shares
    assert len(answer["unseal_keys_hex"]) == shares
    assert answer["unseal_threshold"] == threshold
    assert answer["root_token"].startswith("s.")
    return answer["unseal_keys_b64"], answer["unseal_keys_hex"], answer["root_token"]


def status(server):
    out = server.cli("status", "-format=json")
    return out.returncode, (json.loads(out.stdout) if out.stdout.strip() else None)


def test_init_unseal_status_seal(either):
    code, body = status(either)
    assert code == 2 and body["initialized"] is False

    keys_b64, keys_hex, root = init(either)
    code, body = status(either)
    assert code == 2 and body["sealed"] is True and body["t"] == 3 and body["n"] == 5

    # Three key holders, each with their own share, in the two encodings Vault prints.
    for number, key in enumerate([keys_b64[0], keys_hex[3], keys_b64[4]], start=1):
        out = either.cli("operator", "unseal", "-format=json", key)
        assert out.returncode == 0, out.stderr
        progress = json.loads(out.stdout)
        if number < 3:
            assert progress["sealed"] is True and progress["progress"] == number
    assert progress["sealed"] is False

    code, body = status(either)
    assert code == 0 and body["sealed"] is False

    out = either.cli("operator", "seal", token=root)
    assert out.returncode == 0, out.stderr
    assert status(either)[0] == 2

    # Key holders typing their share at the hidden prompt, on a terminal.
    for key in keys_b64[1:4]:
        child = either.cli_on_terminal("operator", "unseal")
        child.expect("Unseal Key \\(will be hidden\\):")
        child.sendline(key)
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0, child.before
        assert key not in child.before, "the share was echoed"
    assert status(either)[0] == 0


def test_seal_needs_a_token(either):
    keys, _, root = init(either, shares=1, threshold=1)
    assert either.cli("operator", "unseal", keys[0]).returncode == 0
    out = either.cli("operator", "seal", token="s.notarealtokenatall00000")
    assert out.returncode == 2
    assert "permission denied" in out.stderr
    assert status(either)[0] == 0


def test_wrong_share_set_fails_and_resets(either, tmp_path):
    keys, _, _ = init(either, shares=3, threshold=2)
    other = type(either)(either.kind).start()
    try:
        other_keys, _, _ = init(other, shares=3, threshold=2)
    finally:
        other.cleanup()
    assert either.cli("operator", "unseal", keys[0]).returncode == 0
    out = either.cli("operator", "unseal", other_keys[1])
    assert out.returncode == 2
    code, body = status(either)
    assert code == 2 and body["progress"] == 0
    assert either.cli("operator", "unseal", keys[1]).returncode == 0
    assert either.cli("operator", "unseal", keys[2]).returncode == 0
    assert status(either)[0] == 0


def test_rotate_adds_a_term(either):
    keys, _, root = init(either, shares=1, threshold=1)
    assert either.cli("operator", "unseal", keys[0]).returncode == 0
    before = json.loads(either.cli("operator", "key-status", "-format=json", token=root).stdout)
    out = either.cli("operator", "rotate", token=root)
    assert out.returncode == 0, out.stderr
    after = json.loads(either.cli("operator", "key-status", "-format=json", token=root).stdout)
    assert after["term"] == before["term"] + 1
    assert either.cli("operator", "rotate", token="s.bogus000000000000000000").returncode == 2


@pytest.mark.parametrize("command", ["rekey", "rotate-keys"])
def test_rekey_gives_new_shares(either, command):
    keys, _, root = init(either, shares=3, threshold=2)
    for key in keys[:2]:
        assert either.cli("operator", "unseal", key).returncode == 0
    out = either.cli("operator", command, "-init", "-key-shares=4", "-key-threshold=3", "-format=json",
                     token=root)
    assert out.returncode == 0, out.stderr
    nonce = json.loads(out.stdout)["nonce"]
    final = None
    for key in keys[1:3]:
        out = either.cli("operator", command, f"-nonce={nonce}", "-format=json", key, token=root)
        assert out.returncode == 0, out.stderr
        final = json.loads(out.stdout)
    new_keys = final.get("keys_base64") or final.get("keys_b64") or final.get("data", {}).get("keys_base64")
    assert new_keys and len(new_keys) == 4, final

    assert either.cli("operator", "seal", token=root).returncode == 0
    # Old shares are gone (the new threshold is 3: the third old share fails); new ones unseal.
    assert either.cli("operator", "unseal", keys[0]).returncode == 0
    assert either.cli("operator", "unseal", keys[1]).returncode == 0
    assert either.cli("operator", "unseal", keys[2]).returncode == 2
    for key in new_keys[:3]:
        assert either.cli("operator", "unseal", key).returncode == 0
    code, body = status(either)
    assert code == 0 and body["t"] == 3 and body["n"] == 4
