"""One scripted sequence of requests sent to `bao server` and to Coffer; status codes,
JSON shapes, field names and error messages must match, except for the differences
listed in differences.py."""

import re

import pytest

from differences import ERROR_TEXT, STATUS, VOLATILE
from servers import Server


def shape(value):
    """A value with volatile fields reduced to their type."""
    if isinstance(value, dict):
        return {k: (type(v).__name__ if k in VOLATILE else shape(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return value


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def normalise(body):
    """Error bodies with the random nonces they quote replaced."""
    if isinstance(body, dict) and "errors" in body:
        return {"errors": [UUID.sub("<uuid>", e) for e in body["errors"]]}
    return body


class Script:
    """Runs the same steps on a server, recording (label, status, body)."""

    def __init__(self, server):
        self.server = server
        self.steps = []
        self.keys = []
        self.root = None

    def do(self, scenario, method, path, body=None, token=None, raw=None):
        status, answer = self.server.call(method, path, body=body, token=token, raw=raw)
        self.steps.append(((method, path, scenario), status, answer))
        return status, answer

    def run(self):
        s = self
        s.do("fresh", "GET", "sys/init")
        s.do("fresh", "GET", "sys/seal-status")
        s.do("fresh", "GET", "sys/health")
        s.do("uninitialised", "PUT", "sys/unseal", {"key": "abc"})
        s.do("threshold>shares", "PUT", "sys/init", {"secret_shares": 2, "secret_threshold": 3})
        s.do("garbage", "PUT", "sys/init", raw=b"garbage")
        s.do("string shares", "PUT", "sys/init", {"secret_shares": "x"})
        _, answer = s.do("good", "PUT", "sys/init", {"secret_shares": 3, "secret_threshold": 2})
        s.keys, s.root = answer["keys"], answer["root_token"]
        s.do("initialised", "GET", "sys/init")
        s.do("again", "PUT", "sys/init", {"secret_shares": 1, "secret_threshold": 1})
        s.do("sealed", "GET", "sys/seal-status")
        s.do("sealed", "GET", "sys/health")
        s.do("sealed code", "GET", "sys/health?sealedcode=299")
        s.do("sealed", "GET", "sys/key-status", token=s.root)
        s.do("sealed", "PUT", "sys/rotate", token=s.root)
        s.do("first share", "PUT", "sys/unseal", {"key": s.keys[0]})
        s.do("same share", "PUT", "sys/unseal", {"key": s.keys[0]})
        s.do("reset", "PUT", "sys/unseal", {"reset": True})
        s.do("empty", "PUT", "sys/unseal", {})
        s.do("short key", "PUT", "sys/unseal", {"key": "0011"})
        s.do("number key", "PUT", "sys/unseal", raw=b'{"key":5}')
        s.do("array body", "PUT", "sys/unseal", raw=b"[1,2]")
        s.do("wrong method", "GET", "sys/unseal")
        s.do("first share", "PUT", "sys/unseal", {"key": s.keys[1]})
        s.do("length mismatch", "PUT", "sys/unseal", {"key": "00112233445566778899aabbccddeeff00"})
        s.do("after failure", "GET", "sys/seal-status")
        s.do("first share", "PUT", "sys/unseal", {"key": s.keys[1]})
        s.do("second share", "PUT", "sys/unseal", {"key": s.keys[2], "extra": 1})
        s.server.wait_active()
        s.do("unsealed", "GET", "sys/seal-status")
        s.do("unsealed", "GET", "sys/health")
        s.do("active code", "GET", "sys/health?activecode=204")
        s.do("no token", "GET", "sys/key-status")
        s.do("bad token", "GET", "sys/key-status", token="s.AAAAAAAAAAAAAAAAAAAAAAAA")
        s.do("root", "GET", "sys/key-status", token=s.root)
        s.do("root", "PUT", "sys/rotate", token=s.root)
        s.do("after rotate", "GET", "sys/key-status", token=s.root)
        s.do("unsealed share", "PUT", "sys/unseal", {"key": s.keys[0]})
        s.do("idle", "GET", "sys/rekey/init")
        s.do("threshold>shares", "PUT", "sys/rekey/init", {"secret_shares": 2, "secret_threshold": 3})
        _, answer = s.do("start", "PUT", "sys/rekey/init", {"secret_shares": 4, "secret_threshold": 3})
        assert "nonce" in answer, (self.server.kind, answer)
        nonce = answer["nonce"]
        s.do("twice", "PUT", "sys/rekey/init", {"secret_shares": 4, "secret_threshold": 3})
        s.do("started", "GET", "sys/rekey/init")
        s.do("no nonce", "PUT", "sys/rekey/update", {"key": s.keys[0]})
        s.do("first", "PUT", "sys/rekey/update", {"key": s.keys[0], "nonce": nonce})
        s.do("duplicate", "PUT", "sys/rekey/update", {"key": s.keys[0], "nonce": nonce})
        s.do("cancel", "DELETE", "sys/rekey/init")
        s.do("cancelled", "GET", "sys/rekey/init")
        s.do("idle", "GET", "sys/rotate/root/init", token=s.root)
        s.do("no token", "PUT", "sys/rotate/root/init", {"secret_shares": 3, "secret_threshold": 2})
        s.do("start", "PUT", "sys/rotate/root/init", {"secret_shares": 3, "secret_threshold": 2}, token=s.root)
        s.do("cancel", "DELETE", "sys/rotate/root/init", token=s.root)
        s.do("no token", "PUT", "sys/seal")
        s.do("root", "PUT", "sys/seal", token=s.root)
        s.do("sealed again", "GET", "sys/seal-status")
        return self.steps


@pytest.fixture(scope="module")
def transcripts():
    results = {}
    for kind in ("bao", "coffer"):
        server = Server(kind).start()
        try:
            results[kind] = Script(server).run()
        finally:
            server.cleanup()
    return results


def test_same_number_of_steps(transcripts):
    assert len(transcripts["bao"]) == len(transcripts["coffer"])


def test_status_codes_match(transcripts):
    mismatches = []
    for (label, bao_status, _), (_, coffer_status, _) in zip(transcripts["bao"], transcripts["coffer"]):
        expected = STATUS.get(label, (bao_status, bao_status))[1] if label in STATUS else bao_status
        if label in STATUS:
            assert bao_status == STATUS[label][0], f"OpenBao changed: {label} gave {bao_status}"
        if coffer_status != expected:
            mismatches.append((label, bao_status, coffer_status))
    assert not mismatches, mismatches


def test_bodies_match_in_shape_and_errors(transcripts):
    mismatches = []
    for (label, _, bao_body), (_, _, coffer_body) in zip(transcripts["bao"], transcripts["coffer"]):
        if isinstance(bao_body, dict) and "errors" in bao_body:
            if label in ERROR_TEXT:
                ok = isinstance(coffer_body, dict) and len(coffer_body.get("errors", [])) == len(bao_body["errors"])
            else:
                ok = normalise(coffer_body) == normalise(bao_body)
        elif isinstance(bao_body, dict) and isinstance(coffer_body, dict):
            ok = set(bao_body) == set(coffer_body)
            if ok and isinstance(bao_body.get("data"), dict):
                ok = set(bao_body["data"]) == set(coffer_body.get("data") or {})
            if ok:
                ok = {k: v for k, v in shape(bao_body).items() if k != "data"} == \
                    {k: v for k, v in shape(coffer_body).items() if k != "data"}
        else:
            ok = bao_body == coffer_body
        if not ok:
            mismatches.append((label, bao_body, coffer_body))
    assert not mismatches, "\n".join(f"{m[0]}\n  bao:    {m[1]}\n  coffer: {m[2]}" for m in mismatches)
