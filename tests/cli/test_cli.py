"""Differential tests of the `coffer` CLI against OpenBao's `bao` CLI.

Both clients run against the same real OpenBao 2.7.2 server state and their exit codes and output are compared,
with per-run secrets (tokens, keys, nonces, request ids) masked. A small recording HTTP server checks what
`coffer` puts on the wire (headers, bodies, address and token resolution).

Run from the repository root:  python3 -m pytest tests/cli -q
Set COFFER_BIN=/path/to/coffer to skip the build.
"""

import http.server
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "interop"))
from servers import free_port  # noqa: E402  (ports below the ephemeral range)

REPO = Path(__file__).resolve().parents[2]
BAO = "bao"


# ---------------------------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="session")
def coffer_bin():
    override = os.environ.get("COFFER_BIN")
    if override:
        return override
    build = ["swift", "build", "--scratch-path", ".build-cli", "--product", "coffer"]
    result = subprocess.run(build, cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    bin_path = subprocess.run(build[:4] + ["--show-bin-path"], cwd=REPO, capture_output=True, text=True)
    path = Path(bin_path.stdout.strip()) / "coffer"
    assert path.exists(), path
    return str(path)




def wait_ready(addr, proc, log):
    deadline = time.time() + 20
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited: " + Path(log).read_text())
        try:
            with urllib.request.urlopen(addr + "/v1/sys/seal-status", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("server did not become ready: " + Path(log).read_text())


class BaoServer:
    """One OpenBao process on a free loopback port, stopped by PID."""

    def __init__(self, tmp, dev, raft=False):
        self.port = free_port()
        self.addr = f"http://127.0.0.1:{self.port}"
        self.log = os.path.join(tmp, f"bao-{self.port}.log")
        if dev:
            args = [BAO, "server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{self.port}"]
        else:
            config = os.path.join(tmp, f"bao-{self.port}.hcl")
            cluster_port = free_port()
            if raft:
                data = os.path.join(tmp, f"raft-{self.port}")
                os.makedirs(data)
                storage = (f'storage "raft" {{\n  path = "{data}"\n  node_id = "node-{self.port}"\n'
                           "  performance_multiplier = 1\n}\n")
            else:
                storage = 'storage "inmem" {}\n'
            Path(config).write_text(
                storage
                + f'listener "tcp" {{\n  address = "127.0.0.1:{self.port}"\n'
                f'  cluster_address = "127.0.0.1:{cluster_port}"\n  tls_disable = true\n}}\n'
                f'api_addr = "{self.addr}"\ncluster_addr = "https://127.0.0.1:{cluster_port}"\n'
                "disable_mlock = true\n"
            )
            args = [BAO, "server", f"-config={config}"]
        self.log_file = open(self.log, "w")
        self.proc = subprocess.Popen(args, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_ready(self.addr, self.proc, self.log)
        except Exception:
            self.stop()
            raise

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log_file.close()


@pytest.fixture(scope="session")
def tmpdir_session():
    with tempfile.TemporaryDirectory(prefix="coffer-cli-") as tmp:
        yield tmp


@pytest.fixture(scope="session")
def dev_server(tmpdir_session):
    server = BaoServer(tmpdir_session, dev=True)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_server(tmpdir_session):
    """An uninitialised, sealed, non-dev server with in-memory storage."""
    server = BaoServer(tmpdir_session, dev=False)
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------------------------------
# helpers


def clean_env(addr=None, token=None, home=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_", "COFFER_"))}
    env["HOME"] = home or tempfile.mkdtemp(prefix="coffer-home-")
    env["NO_COLOR"] = "1"
    if addr:
        env["VAULT_ADDR"] = addr
    if token:
        env["VAULT_TOKEN"] = token
    return env


def run(binary, args, addr=None, token=None, stdin=None, env=None):
    result = subprocess.run(
        [binary] + args,
        env=env or clean_env(addr, token),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.returncode, result.stdout, result.stderr


SECRET_PATTERNS = [
    (re.compile(r"\bs\.[A-Za-z0-9]{24}\b"), "<token>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    (re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?( \+0000 UTC|Z)"), "<time>"),
]


def mask(text, extra=()):
    for secret in extra:
        text = text.replace(secret, "<secret>")
    for pattern, replacement in SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def both(coffer_bin, args, addr, token=None, stdin=None):
    """Runs the same command with bao and coffer; returns (bao_result, coffer_result)."""
    return run(BAO, args, addr, token, stdin), run(coffer_bin, args, addr, token, stdin)


def assert_same(coffer_bin, args, addr, token=None, extra=()):
    b, c = both(coffer_bin, args, addr, token)
    assert c[0] == b[0], f"exit code differs for {args}: bao {b[0]} coffer {c[0]}\n{b}\n{c}"
    assert mask(c[1], extra) == mask(b[1], extra), f"stdout differs for {args}"
    assert mask(c[2], extra) == mask(b[2], extra), f"stderr differs for {args}"
    return b, c


def init_with_coffer(coffer_bin, server, shares=3, threshold=2):
    code, out, err = run(coffer_bin, ["operator", "init", f"-key-shares={shares}", f"-key-threshold={threshold}",
                                      "-format=json"], server.addr)
    assert code == 0, err
    return json.loads(out)


def unseal_with(binary, server, keys):
    for key in keys:
        code, _, err = run(binary, ["operator", "unseal", key], server.addr)
        assert code == 0, err


# ---------------------------------------------------------------------------------------------------------------
# status, init, unseal, seal


def test_status_exit_codes_match_vault(coffer_bin, fresh_server):
    # Uninitialised and sealed: exit 2, same table and JSON.
    assert_same(coffer_bin, ["status"], fresh_server.addr)
    b, c = assert_same(coffer_bin, ["status", "-format=json"], fresh_server.addr)
    assert c[0] == 2
    assert json.loads(c[1])["initialized"] is False

    init = init_with_coffer(coffer_bin, fresh_server)
    b, c = assert_same(coffer_bin, ["status"], fresh_server.addr)
    assert c[0] == 2 and "Sealed             true" in c[1]

    unseal_with(coffer_bin, fresh_server, init["unseal_keys_b64"][:2])
    b, c = assert_same(coffer_bin, ["status"], fresh_server.addr)
    assert c[0] == 0
    assert_same(coffer_bin, ["status", "-format=json"], fresh_server.addr)

    # Nothing listening: exit 1, Go's wording.
    dead = f"http://127.0.0.1:{free_port()}"
    b, c = assert_same(coffer_bin, ["status"], dead)
    assert c[0] == 1 and "connection refused" in c[2]


def test_init_json_has_bao_fields_and_keys_work(coffer_bin, fresh_server, tmpdir_session):
    code, out, err = run(coffer_bin, ["operator", "init", "-key-shares", "4", "-key-threshold", "3",
                                      "-format=json"], fresh_server.addr)
    assert code == 0, err
    ours = json.loads(out)

    other = BaoServer(tmpdir_session, dev=False)
    try:
        code, out, _ = run(BAO, ["operator", "init", "-key-shares=4", "-key-threshold=3", "-format=json"], other.addr)
        assert code == 0
        theirs = json.loads(out)
    finally:
        other.stop()

    assert list(ours.keys()) == list(theirs.keys())
    for field in ("unseal_shares", "unseal_threshold", "recovery_keys_shares", "recovery_keys_threshold"):
        assert ours[field] == theirs[field], field
    assert ours["unseal_shares"] == 4 and ours["unseal_threshold"] == 3
    assert len(ours["unseal_keys_b64"]) == len(ours["unseal_keys_hex"]) == 4
    assert ours["recovery_keys_b64"] == [] and ours["recovery_keys_hex"] == []
    assert ours["root_token"].startswith("s.")

    # Three of the hex shares unseal; progress is reported like bao's.
    for position, key in enumerate(ours["unseal_keys_hex"][:3], start=1):
        code, out, err = run(coffer_bin, ["operator", "unseal", "-format=json", key], fresh_server.addr)
        assert code == 0, err
        status = json.loads(out)
        assert status["progress"] == (position % 3)
        assert status["sealed"] is (position < 3)
    assert run(BAO, ["status"], fresh_server.addr)[0] == 0

    # A second init fails the way bao's does.
    assert_same(coffer_bin, ["operator", "init"], fresh_server.addr)


def test_init_human_output(coffer_bin, fresh_server):
    code, out, err = run(coffer_bin, ["operator", "init", "-key-shares=5", "-key-threshold=3"], fresh_server.addr)
    assert code == 0, err
    lines = out.splitlines()
    keys = [line for line in lines if re.fullmatch(r"Unseal Key [1-5]: \S{44}", line)]
    assert len(keys) == 5
    assert lines[5] == ""
    assert re.fullmatch(r"Initial Root Token: s\.\S{24}", lines[6])
    assert "3" in out[out.index("Initial Root Token"):]
    unseal_with(BAO, fresh_server, [k.split(": ")[1] for k in keys[:3]])
    assert run(coffer_bin, ["status"], fresh_server.addr)[0] == 0


def test_unseal_progress_reset_and_seal_match_bao(coffer_bin, fresh_server):
    init = init_with_coffer(coffer_bin, fresh_server, shares=3, threshold=3)
    keys = init["unseal_keys_b64"]
    addr = fresh_server.addr

    code, out, err = run(coffer_bin, ["operator", "unseal", keys[0]], addr)
    assert code == 0, err
    assert "Unseal Progress    1/3" in out
    # Same server state, so even the nonce agrees.
    assert_same(coffer_bin, ["status"], addr)

    b, c = assert_same(coffer_bin, ["operator", "unseal", "-reset"], addr)
    assert "Unseal Progress    0/3" in c[1]

    # Same submission through each client gives the same table (nonce masked).
    b = run(BAO, ["operator", "unseal", keys[0]], addr)
    run(BAO, ["operator", "unseal", "-reset"], addr)
    c = run(coffer_bin, ["operator", "unseal", keys[0]], addr)
    assert (c[0], mask(c[1])) == (b[0], mask(b[1]))

    # A bad share: same error and exit code.
    assert_same(coffer_bin, ["operator", "unseal", "not-a-key"], addr)
    # Automation asks never to be prompted.
    assert_same(coffer_bin, ["operator", "unseal", "-non-interactive"], addr)

    # Without an argument, a piped share is read from stdin (bao refuses this; coffer accepts it).
    code, out, err = run(coffer_bin, ["operator", "unseal", "-format=json"], addr, stdin=keys[1] + "\n")
    assert code == 0, err
    assert json.loads(out)["progress"] == 2
    code, out, err = run(coffer_bin, ["operator", "unseal", keys[2]], addr)
    assert code == 0 and "Sealed          false" in out

    token = init["root_token"]
    assert_same(coffer_bin, ["operator", "seal"], addr, "bad-token")  # 403, exit 2
    code, out, err = run(coffer_bin, ["operator", "seal"], addr, token)
    assert (code, out) == (0, "Success! Vault is sealed.\n"), err
    assert run(BAO, ["status"], addr)[0] == 2
    assert run(coffer_bin, ["status"], addr)[0] == 2


def test_rotate_increases_term(coffer_bin, fresh_server):
    init = init_with_coffer(coffer_bin, fresh_server, shares=1, threshold=1)
    unseal_with(coffer_bin, fresh_server, init["unseal_keys_b64"])
    addr, token = fresh_server.addr, init["root_token"]

    b, c = assert_same(coffer_bin, ["operator", "key-status", "-format=json"], addr, token)
    term = json.loads(c[1])["term"]
    assert_same(coffer_bin, ["operator", "key-status"], addr, token)

    code, out, err = run(coffer_bin, ["operator", "rotate"], addr, token)
    assert code == 0, err
    assert out.startswith("Success! Rotated key\n\nKey Term            %d\n" % (term + 1))
    code, out, _ = run(BAO, ["operator", "key-status", "-format=json"], addr, token)
    assert json.loads(out)["term"] == term + 1

    code, out, err = run(coffer_bin, ["operator", "rotate", "-format=json"], addr, token)
    assert code == 0 and json.loads(out)["term"] == term + 2

    # coffer uses Vault's PUT sys/rotate; bao 2.7 uses POST sys/rotate/keyring: only the URL line may differ.
    b, c = both(coffer_bin, ["operator", "rotate"], addr, "bad-token")
    drop_url = lambda text: re.sub(r"^URL: .*$", "URL: <url>", text, flags=re.M)
    assert (c[0], c[1], drop_url(c[2])) == (b[0], b[1], drop_url(b[2]))
    assert c[0] == 2 and "permission denied" in c[2]


def test_rekey_flow_new_keys_unseal(coffer_bin, fresh_server):
    init = init_with_coffer(coffer_bin, fresh_server, shares=3, threshold=2)
    old = init["unseal_keys_b64"]
    unseal_with(coffer_bin, fresh_server, old[:2])
    addr, token = fresh_server.addr, init["root_token"]

    assert_same(coffer_bin, ["operator", "rotate-keys", "-status"], addr, token)
    code, out, err = run(coffer_bin, ["operator", "rekey", "-init", "-key-shares=4", "-key-threshold=2"], addr, token)
    assert code == 0, err
    assert "Started                  true" in out and "New Shares               4" in out
    # Same pending attempt seen by both clients.
    assert_same(coffer_bin, ["operator", "rotate-keys", "-status"], addr, token)
    b, c = assert_same(coffer_bin, ["operator", "rotate-keys", "-status", "-format=json"], addr, token)
    nonce = json.loads(c[1])["nonce"]
    assert nonce

    # A share without a nonce is refused locally, as by bao.
    assert_same(coffer_bin, ["operator", "rotate-keys", old[0]], addr, token)

    code, out, err = run(coffer_bin, ["operator", "rekey", f"-nonce={nonce}", old[0]], addr, token)
    assert code == 0, err
    assert "Rekey Progress           1/2" in out
    code, out, err = run(coffer_bin, ["operator", "rekey", "-nonce", nonce, old[1]], addr, token)
    assert code == 0, err
    new = re.findall(r"^Key \d: (\S+)$", out, re.M)
    assert len(new) == 4 and not set(new) & set(old)
    assert f"Operation nonce: {nonce}" in out

    code, _, err = run(coffer_bin, ["operator", "seal"], addr, token)
    assert code == 0, err
    # Old shares no longer reconstruct the key: the quorum-completing submission fails.
    assert run(BAO, ["operator", "unseal", old[0]], addr)[0] == 0
    code, _, err = run(coffer_bin, ["operator", "unseal", old[1]], addr)
    assert code == 2 and "Error unsealing" in err
    run(coffer_bin, ["operator", "unseal", "-reset"], addr)
    unseal_with(BAO, fresh_server, new[:2])
    assert run(coffer_bin, ["status"], addr)[0] == 0

    # Cancel and a stray submission.
    code, out, err = run(coffer_bin, ["operator", "rekey", "-init", "-key-shares=1", "-key-threshold=1"], addr, token)
    assert code == 0, err
    code, out, err = run(coffer_bin, ["operator", "rekey", "-cancel"], addr, token)
    assert (code, out) == (0, "Success! Canceled rekeying (if it was started)\n")
    code, _, err = run(coffer_bin, ["operator", "rekey", "-nonce=x", new[0]], addr, token)
    assert code == 1 and "No rekey is in progress" in err


# ---------------------------------------------------------------------------------------------------------------
# read / write / list / delete / unwrap against the dev server


def test_read_write_list_delete_match_bao(coffer_bin, dev_server):
    addr = dev_server.addr
    for binary in (BAO, coffer_bin):
        code, out, err = run(binary, ["write", "cubbyhole/app/config", "user=alice", "port=5432", "tags=a",
                                      "tags=b"], addr, "root")
        assert (code, out) == (0, "Success! Data written to: cubbyhole/app/config\n"), err

    b, c = assert_same(coffer_bin, ["read", "cubbyhole/app/config"], addr, "root")
    assert "tags    [a b]" in c[1]
    assert_same(coffer_bin, ["read", "-format=json", "cubbyhole/app/config"], addr, "root")
    assert_same(coffer_bin, ["read", "-field=user", "cubbyhole/app/config"], addr, "root")
    assert_same(coffer_bin, ["read", "-field=tags", "cubbyhole/app/config"], addr, "root")
    assert_same(coffer_bin, ["read", "-field=nope", "cubbyhole/app/config"], addr, "root")
    assert_same(coffer_bin, ["read", "-format=json", "-field=tags", "cubbyhole/app/config"], addr, "root")
    assert_same(coffer_bin, ["read", "cubbyhole/app/missing"], addr, "root")
    assert_same(coffer_bin, ["read", "sys/mounts/cubbyhole"], addr, "root", extra=())

    run(BAO, ["write", "cubbyhole/app/zeta", "k=v"], addr, "root")
    b, c = assert_same(coffer_bin, ["list", "cubbyhole/app"], addr, "root")
    assert c[1] == "Keys\n----\nconfig\nzeta\n"
    assert_same(coffer_bin, ["list", "-format=json", "cubbyhole/app/"], addr, "root")
    assert_same(coffer_bin, ["list", "cubbyhole/none"], addr, "root")
    assert_same(coffer_bin, ["list", "-format=json", "cubbyhole/none"], addr, "root")

    b, c = assert_same(coffer_bin, ["delete", "cubbyhole/app/zeta"], addr, "root")
    assert c == (0, "Success! Data deleted (if it existed) at: cubbyhole/app/zeta\n", "")
    assert run(coffer_bin, ["read", "cubbyhole/app/zeta"], addr, "root")[0] == 2

    # API errors: same message, exit 2.
    b, c = assert_same(coffer_bin, ["write", "nomount/x", "a=1"], addr, "root")
    assert c[0] == 2 and c[2].startswith("Error writing data to nomount/x: Error making API request.\n\nURL: PUT ")
    assert_same(coffer_bin, ["delete", "nomount/x"], addr, "root")
    assert_same(coffer_bin, ["read", "cubbyhole/app/config"], addr, "wrong-token")
    # Usage errors: exit 1.
    assert_same(coffer_bin, ["read"], addr, "root")
    # A malformed K=V argument may be a mistyped secret: same exit code, but coffer does not echo it.
    b = run(BAO, ["write", "cubbyhole/x", "a=1", "hunter2"], addr, "root")
    c = run(coffer_bin, ["write", "cubbyhole/x", "a=1", "hunter2"], addr, "root")
    assert c[0] == b[0] == 1 and "hunter2" in b[2] and "hunter2" not in c[2]
    assert c[2] == "Failed to parse K=V data: invalid key/value pair (argument 2): format must be key=value\n"
    assert run(coffer_bin, ["read", "-bogus", "x"], addr, "root")[0] == 1


def test_field_extraction_from_auth_and_data(coffer_bin, dev_server):
    addr = dev_server.addr
    code, token, err = run(coffer_bin, ["write", "-field=token", "auth/token/create", "policies=default", "ttl=1h"],
                           addr, "root")
    assert code == 0, err
    assert re.fullmatch(r"s\.[A-Za-z0-9]{24}", token)  # raw, no newline when piped
    code, out, _ = run(BAO, ["token", "lookup", "-format=json", token], addr, "root")
    assert code == 0 and json.loads(out)["data"]["policies"] == ["default"]

    for field in ("token_policies", "policies", "token_duration", "token_renewable", "nonexistent"):
        b = run(BAO, ["write", f"-field={field}", "auth/token/create", "policies=default", "ttl=1h"], addr, "root")
        c = run(coffer_bin, ["write", f"-field={field}", "auth/token/create", "policies=default", "ttl=1h"],
                addr, "root")
        assert (c[0], c[1], c[2]) == (b[0], b[1], b[2]), field

    # Double-dash and space forms; flags before positional arguments.
    code, out, err = run(coffer_bin, ["write", "--field", "token_accessor", "auth/token/create", "ttl=1h"],
                         addr, "root")
    assert code == 0 and re.fullmatch(r"[A-Za-z0-9]{24}", out), err
    code, out, err = run(coffer_bin, ["write", "-f", "-field=x", "cubbyhole/flags", "x=42"], addr, "root")
    assert (code, out) == (0, "Success! Data written to: cubbyhole/flags\n"), err
    code, out, err = run(coffer_bin, ["read", "--format=json", "cubbyhole/flags"], addr, "root")
    assert code == 0 and json.loads(out)["data"] == {"x": "42"}
    assert_same(coffer_bin, ["token", "lookup"], addr, "root")
    assert_same(coffer_bin, ["login", "-non-interactive"], addr)


def test_wrap_ttl_and_unwrap_interoperate(coffer_bin, dev_server):
    addr = dev_server.addr
    run(BAO, ["write", "cubbyhole/wrapped", "password=hunter2"], addr, "root")

    # coffer wraps, bao unwraps.
    code, wrapping, err = run(coffer_bin, ["read", "-wrap-ttl=60s", "-field=wrapping_token", "cubbyhole/wrapped"],
                              addr, "root")
    assert code == 0 and re.fullmatch(r"s\.[A-Za-z0-9]{24}", wrapping), err
    code, out, err = run(BAO, ["unwrap", "-field=password", wrapping], addr, "root")
    assert (code, out) == (0, "hunter2"), err

    # bao wraps, coffer unwraps; then the token is spent for both.
    _, wrapping, _ = run(BAO, ["read", "-wrap-ttl=2m", "-field=wrapping_token", "cubbyhole/wrapped"], addr, "root")
    code, out, err = run(coffer_bin, ["unwrap", wrapping], addr, "root")
    assert code == 0, err
    assert out == "Key         Value\n---         -----\npassword    hunter2\n"
    assert_same(coffer_bin, ["unwrap", wrapping], addr, "root")

    # Table of wrap_info, compared with bao's (token, accessor, time masked).
    b = run(BAO, ["read", "-wrap-ttl=90s", "cubbyhole/wrapped"], addr, "root")
    c = run(coffer_bin, ["read", "-wrap-ttl=90s", "cubbyhole/wrapped"], addr, "root")
    mask_accessor = lambda s: re.sub(r"(wrapping_accessor:\s+)\S+", r"\1<acc>", mask(s))
    assert (c[0], mask_accessor(c[1])) == (b[0], mask_accessor(b[1]))
    assert "wrapping_token_ttl:              1m30s" in c[1]

    # JSON wrap_info shape and -field rules on a wrapped answer.
    code, out, _ = run(coffer_bin, ["read", "-wrap-ttl=60s", "-format=json", "cubbyhole/wrapped"], addr, "root")
    info = json.loads(out)
    assert list(info) == ["request_id", "lease_id", "lease_duration", "renewable", "data", "warnings", "wrap_info"]
    assert info["wrap_info"]["ttl"] == 60 and info["wrap_info"]["creation_path"] == "cubbyhole/wrapped"
    code, out, _ = run(coffer_bin, ["unwrap", "-field=password", info["wrap_info"]["token"]], addr, "root")
    assert (code, out) == (0, "hunter2")

    # Wrapped token creation: unwrap with the wrapping token as the client token (no argument).
    _, wrapping, _ = run(coffer_bin, ["write", "-wrap-ttl=60s", "-field=wrapping_token", "auth/token/create",
                                      "policies=default"], addr, "root")
    code, out, err = run(coffer_bin, ["unwrap", "-field=token"], addr, wrapping)
    assert code == 0 and re.fullmatch(r"s\.[A-Za-z0-9]{24}", out), err


def test_write_without_data_or_force(coffer_bin, dev_server):
    addr = dev_server.addr
    code, _, err = run(BAO, ["write", "auth/token/create"], addr, "root")
    assert (code, err) == (1, "Must supply data or use -force\n")
    # coffer accepts it and sends {} (checked on the wire below).
    code, out, err = run(coffer_bin, ["write", "auth/token/create"], addr, "root")
    assert code == 0, err
    assert re.search(r"^token\s+s\.\S+$", out, re.M)
    b, c = both(coffer_bin, ["write", "-f", "auth/token/create"], addr, "root")
    assert c[0] == b[0] == 0 and mask(c[1]).splitlines()[0:2] == mask(b[1]).splitlines()[0:2]


# ---------------------------------------------------------------------------------------------------------------
# the wire: a recording HTTP server


class Recorder(http.server.BaseHTTPRequestHandler):
    requests = []

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        Recorder.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                  "body": body})
        payload = json.dumps({"request_id": "r", "lease_id": "", "lease_duration": 0, "renewable": False,
                              "data": {"ok": True}, "warnings": None}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_DELETE = _handle

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", Recorder.requests
    finally:
        server.shutdown()
        server.server_close()


def header(request, name):
    return {k.lower(): v for k, v in request["headers"].items()}.get(name.lower())


def test_wire_bodies_and_headers(coffer_bin, recorder):
    addr, requests = recorder
    code, _, err = run(coffer_bin, ["write", "secret/x"], addr, "tok")
    assert code == 0, err
    assert requests[-1]["method"] == "PUT" and requests[-1]["path"] == "/v1/secret/x"
    assert json.loads(requests[-1]["body"]) == {}
    assert header(requests[-1], "X-Vault-Token") == "tok"
    assert header(requests[-1], "X-Vault-Wrap-TTL") is None

    code, _, err = run(coffer_bin, ["write", "-wrap-ttl=5m", "secret/x", "a=1", "a=2", "b=@" + __file__], addr,
                       "tok")
    assert code == 0, err
    body = json.loads(requests[-1]["body"])
    assert body["a"] == ["1", "2"] and body["b"] == Path(__file__).read_text()
    assert header(requests[-1], "X-Vault-Wrap-TTL") == "5m"

    code, _, err = run(coffer_bin, ["write", "secret/x", "-"], addr, "tok", stdin='{"n": 1, "s": "t"}')
    assert code == 0, err
    assert json.loads(requests[-1]["body"]) == {"n": 1, "s": "t"}

    run(coffer_bin, ["list", "secret/dir/"], addr, "tok")
    assert (requests[-1]["method"], requests[-1]["path"]) == ("GET", "/v1/secret/dir?list=true")

    run(coffer_bin, ["unwrap", "s.wrapping"], addr, "tok")
    assert requests[-1]["path"] == "/v1/sys/wrapping/unwrap"
    assert json.loads(requests[-1]["body"]) == {"token": "s.wrapping"}
    assert header(requests[-1], "X-Vault-Token") == "tok"
    run(coffer_bin, ["unwrap", "s.wrapping"], addr, None)
    assert header(requests[-1], "X-Vault-Token") == "s.wrapping" and not requests[-1]["body"]


def test_address_and_token_resolution(coffer_bin, recorder, tmp_path):
    addr, requests = recorder
    home = tmp_path / "home"
    home.mkdir()
    (home / ".vault-token").write_text("from-file\n")
    dead = f"http://127.0.0.1:{free_port()}"

    env = clean_env(home=str(home))
    env.update({"VAULT_ADDR": dead, "COFFER_ADDR": addr, "VAULT_TOKEN": "vault-tok", "COFFER_TOKEN": "coffer-tok"})
    assert run(coffer_bin, ["read", "secret/a"], env=env)[0] == 0
    assert header(requests[-1], "X-Vault-Token") == "coffer-tok"

    env = clean_env(home=str(home))
    env.update({"VAULT_ADDR": addr, "VAULT_TOKEN": "vault-tok"})
    assert run(coffer_bin, ["read", "secret/a"], env=env)[0] == 0
    assert header(requests[-1], "X-Vault-Token") == "vault-tok"

    env = clean_env(home=str(home))
    env.update({"VAULT_ADDR": dead})
    assert run(coffer_bin, ["read", f"-address={addr}", "secret/a"], env=env)[0] == 0
    assert header(requests[-1], "X-Vault-Token") == "from-file"

    env = clean_env(home=str(home))
    code, _, err = run(coffer_bin, ["read", "secret/a"], env=env)
    assert code == 2 and 'Get "https://127.0.0.1:8200/v1/secret/a"' in err


def test_server_requires_config_or_dev(coffer_bin):
    code, out, err = run(coffer_bin, ["server"])
    assert code == 1 and "-config" in err


# ---------------------------------------------------------------------------------------------------------------
# login and the AppRole bootstrap path


def test_login_token_matches_bao_and_stores_token(coffer_bin, dev_server, tmp_path):
    addr = dev_server.addr
    for args in (["login", "-format=json", "root"], ["login", "-field=token_policies", "root"], ["login", "bad"],
                 ["login", "-no-print", "root"]):
        home_b, home_c = tmp_path / ("b" + str(len(args))), tmp_path / ("c" + str(len(args)))
        home_b.mkdir(exist_ok=True)
        home_c.mkdir(exist_ok=True)
        b = run(BAO, args, env=clean_env(addr, home=str(home_b)))
        c = run(coffer_bin, args, env=clean_env(addr, home=str(home_c)))
        assert c == b, args
        stored_b, stored_c = home_b / ".vault-token", home_c / ".vault-token"
        assert stored_c.exists() == stored_b.exists(), args
        if stored_c.exists():
            assert stored_c.read_text() == stored_b.read_text() == "root"
            assert stored_c.stat().st_mode & 0o777 == 0o600

    home = tmp_path / "plain"
    home.mkdir()
    code, out, err = run(coffer_bin, ["login", "root"], env=clean_env(addr, home=str(home)))
    assert code == 0, err
    assert out.startswith("Success! You are now authenticated.")
    assert "token                root\n" in out and 'token_policies       ["root"]' in out
    # The stored token is used by later commands.
    assert run(coffer_bin, ["token", "lookup", "-field=id"], env=clean_env(addr, home=str(home)))[1] == "root"

    code, out, err = run(coffer_bin, ["login", "-no-store", "root"], env=clean_env(addr, home=str(tmp_path)))
    assert code == 0 and not (tmp_path / ".vault-token").exists()


def test_login_userpass_and_approle_with_wrapped_secret_id(coffer_bin, dev_server, tmp_path):
    addr = dev_server.addr
    for args in (["auth", "enable", "userpass"], ["auth", "enable", "approle"],
                 ["write", "auth/userpass/users/alice", "password=pw", "token_policies=default"],
                 ["write", "auth/approle/role/svc", "token_policies=default", "secret_id_num_uses=1"]):
        code, _, err = run(BAO, args, addr, "root")
        assert code == 0 or "already in use" in err, err

    b = run(BAO, ["login", "-method=userpass", "-field=token_policies", "username=alice", "password=pw"],
            env=clean_env(addr, home=str(tmp_path)))
    c = run(coffer_bin, ["login", "-method=userpass", "-field=token_policies", "username=alice", "password=pw"],
            env=clean_env(addr, home=str(tmp_path)))
    assert c == b == (0, "[default]", "")
    assert_same(coffer_bin, ["login", "-method=userpass", "username=alice", "password=wrong"], addr)

    # The bootstrap path: role_id in the clear, secret_id through a single-use wrapping token.
    code, role_id, err = run(coffer_bin, ["read", "-field=role_id", "auth/approle/role/svc/role-id"], addr, "root")
    assert code == 0, err
    code, wrapping, err = run(coffer_bin, ["write", "-wrap-ttl=60s", "-field=wrapping_token",
                                           "auth/approle/role/svc/secret-id"], addr, "root")
    assert code == 0 and wrapping.startswith("s."), err
    code, secret_id, err = run(coffer_bin, ["unwrap", "-field=secret_id", wrapping], addr, None)
    assert code == 0 and len(secret_id) == 36, err
    assert run(coffer_bin, ["unwrap", wrapping], addr, None)[0] == 2  # spent

    env = clean_env(addr, home=str(tmp_path))
    code, token, err = run(coffer_bin, ["login", "-method=approle", "-no-store", "-field=token",
                                        f"role_id={role_id}", f"secret_id={secret_id}"], env=env)
    assert code == 0 and token.startswith("s."), err
    code, out, _ = run(BAO, ["token", "lookup", "-format=json"], addr, token)
    assert code == 0 and json.loads(out)["data"]["policies"] == ["default"]
    # secret_id_num_uses=1: a second login with it fails.
    code, _, err = run(coffer_bin, ["login", "-method=approle", "-no-store", f"role_id={role_id}",
                                    f"secret_id={secret_id}"], env=env)
    assert code == 2 and "Error authenticating" in err


def test_unseal_prompt_on_terminal_does_not_echo(coffer_bin, fresh_server):
    import pty
    import select

    init = init_with_coffer(coffer_bin, fresh_server, shares=1, threshold=1)
    key = init["unseal_keys_b64"][0]
    pid, fd = pty.fork()
    if pid == 0:  # child: the pty is its controlling terminal, stdin and stdout
        os.execve(coffer_bin, [coffer_bin, "operator", "unseal"], clean_env(fresh_server.addr))
    transcript = b""
    deadline = time.time() + 20

    def read_until(predicate):
        nonlocal transcript
        while not predicate() and time.time() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO once the child has exited
                return
            if not chunk:
                return
            transcript += chunk

    exited = None
    try:
        read_until(lambda: b"(will be hidden): " in transcript)
        assert transcript.startswith(b"Unseal Key (will be hidden): "), transcript
        os.write(fd, key.encode() + b"\n")
        read_until(lambda: b"HA Enabled" in transcript)
        waited, status = os.waitpid(pid, 0 if b"HA Enabled" in transcript else os.WNOHANG)
        exited = status if waited else None
    finally:
        if exited is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    assert exited is not None and os.waitstatus_to_exitcode(exited) == 0, transcript
    assert key.encode() not in transcript  # not echoed, not printed
    assert b"Sealed          false" in transcript


# ---------------------------------------------------------------------------------------------------------------
# kv helpers


def test_kv_v2_and_v1_match_bao(coffer_bin, dev_server):
    addr = dev_server.addr
    code, _, err = run(BAO, ["secrets", "enable", "-path=kvone", "kv"], addr, "root")
    assert code == 0 or "already in use" in err, err
    drop_times = lambda text: re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z", "<time>", text)

    # Each client writes a version; the outputs differ only in the version number and time.
    b = run(BAO, ["kv", "put", "secret/svc/db", "user=app", "pass=one"], addr, "root")
    c = run(coffer_bin, ["kv", "put", "-mount=secret", "svc/db", "user=app", "pass=two"], addr, "root")
    assert c[0] == b[0] == 0
    assert drop_times(c[1]).replace("version            2", "version            1") == drop_times(b[1])
    assert c[1].startswith("=== Secret Path ===\nsecret/data/svc/db\n\n======= Metadata =======\n")

    for args in (["kv", "get", "secret/svc/db"], ["kv", "get", "-version=1", "secret/svc/db"],
                 ["kv", "get", "-mount=secret", "-field=pass", "svc/db"],
                 ["kv", "get", "-format=json", "secret/svc/db"],
                 ["kv", "list", "secret/svc"], ["kv", "list", "-format=json", "secret/svc/"],
                 ["kv", "metadata", "get", "secret/svc/db"], ["kv", "get", "secret/svc/none"],
                 ["kv", "put", "secret/svc/db"], ["kv", "put", "-cas=0", "secret/svc/db", "a=1"],
                 ["kv", "delete", "-versions=1", "secret/svc/db"], ["kv", "metadata", "get", "secret/svc/db"]):
        assert_same(coffer_bin, args, addr, "root")
    code, out, _ = run(coffer_bin, ["kv", "get", "-field=pass", "secret/svc/db"], addr, "root")
    assert (code, out) == (0, "two")

    assert_same(coffer_bin, ["kv", "delete", "secret/svc/db"], addr, "root")
    assert_same(coffer_bin, ["kv", "get", "-field=pass", "secret/svc/db"], addr, "root")  # "No data found", 2

    # KV version 1: plain paths.
    assert_same(coffer_bin, ["kv", "put", "kvone/app", "k=v"], addr, "root")
    assert_same(coffer_bin, ["kv", "get", "kvone/app"], addr, "root")
    assert_same(coffer_bin, ["kv", "list", "kvone"], addr, "root")
    assert_same(coffer_bin, ["kv", "metadata", "get", "kvone/app"], addr, "root")
    assert_same(coffer_bin, ["kv", "delete", "kvone/app"], addr, "root")
    assert_same(coffer_bin, ["kv", "get", "kvone/app"], addr, "root")


# ---------------------------------------------------------------------------------------------------------------
# the same clients against `coffer server -dev` (skipped while the server cannot start)


def test_clients_agree_against_coffer_server(coffer_bin, tmpdir_session):
    port = free_port()
    addr = f"http://127.0.0.1:{port}"
    log_path = os.path.join(tmpdir_session, f"coffer-{port}.log")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([coffer_bin, "server", "-dev", f"-dev-listen-address=127.0.0.1:{port}",
                                 "-dev-root-token-id=root"], stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        try:
            wait_ready(addr, proc, log_path)
        except RuntimeError as error:
            pytest.skip(f"coffer server -dev did not start: {str(error)[-300:]}")
        b, c = assert_same(coffer_bin, ["status"], addr, "root")
        assert c[0] == 0
        assert_same(coffer_bin, ["status", "-format=json"], addr, "root")
        assert_same(coffer_bin, ["operator", "key-status", "-format=json"], addr, "root")
        assert_same(coffer_bin, ["read", "cubbyhole/none"], addr, "root")
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()



# ---------------------------------------------------------------------------------------------------------------
# raft storage: HA status fields, peers, snapshots


def test_raft_peers_status_and_snapshots(coffer_bin, tmpdir_session):
    server = BaoServer(tmpdir_session, dev=False, raft=True)
    try:
        addr = server.addr
        init = init_with_coffer(coffer_bin, server, shares=1, threshold=1)
        token = init["root_token"]
        unseal_with(coffer_bin, server, init["unseal_keys_b64"])
        deadline = time.time() + 20
        while time.time() < deadline:  # wait for leadership
            code, out, _ = run(BAO, ["status", "-format=json"], addr)
            if code == 0 and json.loads(out).get("is_self"):
                break
            time.sleep(0.2)
        b, c = assert_same(coffer_bin, ["status"], addr, token)
        assert "HA Mode                 active" in c[1] and "Raft Committed Index" in c[1]
        assert_same(coffer_bin, ["status", "-format=json"], addr, token)
        b, c = assert_same(coffer_bin, ["operator", "raft", "list-peers"], addr, token)
        assert re.search(rf"^node-{server.port}\s+127\.0\.0\.1:\d+\s+leader\s+true$", c[1], re.M)
        assert_same(coffer_bin, ["operator", "raft", "remove-peer"], addr, token)
        assert_same(coffer_bin, ["operator", "raft", "snapshot", "restore", "/nonexistent/snap"], addr, token)

        # Snapshot by coffer restores with bao, and back: the value written in between disappears.
        snap = os.path.join(tmpdir_session, f"snap-{server.port}")
        assert run(coffer_bin, ["write", "cubbyhole/before", "v=1"], addr, token)[0] == 0
        code, out, err = run(coffer_bin, ["operator", "raft", "snapshot", "save", snap], addr, token)
        assert (code, out) == (0, ""), err
        assert os.path.getsize(snap) > 0 and os.stat(snap).st_mode & 0o777 == 0o600
        assert run(coffer_bin, ["write", "cubbyhole/after", "v=2"], addr, token)[0] == 0
        code, _, err = run(BAO, ["operator", "raft", "snapshot", "restore", snap], addr, token)
        assert code == 0, err
        deadline = time.time() + 20
        while time.time() < deadline and run(BAO, ["read", "cubbyhole/before"], addr, token)[0] != 0:
            time.sleep(0.2)
        assert run(coffer_bin, ["read", "-field=v", "cubbyhole/before"], addr, token)[1] == "1"
        assert run(coffer_bin, ["read", "cubbyhole/after"], addr, token)[0] == 2

        snap2 = snap + "-bao"
        assert run(BAO, ["operator", "raft", "snapshot", "save", snap2], addr, token)[0] == 0
        code, out, err = run(coffer_bin, ["operator", "raft", "snapshot", "restore", snap2], addr, token)
        assert (code, out) == (0, ""), err
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------------------------------
# provisioning: policies, mounts, tokens


def test_policy_mounts_and_tokens_match_bao(coffer_bin, dev_server, tmp_path):
    addr = dev_server.addr
    policy = tmp_path / "svc.hcl"
    policy.write_text('path "secret/data/svc/*" {\n  capabilities = ["read"]\n}\n')

    for name, binary in (("from-bao", BAO), ("from-coffer", coffer_bin)):
        code, out, err = run(binary, ["policy", "write", name.upper(), str(policy)], addr, "root")
        assert (code, out) == (0, f"Success! Uploaded policy: {name}\n"), err
    for args in (["policy", "read", "from-coffer"], ["policy", "read", "-format=json", "from-bao"],
                 ["policy", "list"], ["policy", "list", "-format=json"], ["policy", "read", "nope"],
                 ["policy", "write", "x", str(tmp_path / "missing.hcl")], ["policy", "write", "x"]):
        assert_same(coffer_bin, args, addr, "root")
    code, out, err = run(coffer_bin, ["policy", "write", "broken", "-"], addr, "root", stdin="path {")
    assert code == 2 and "failed to parse policy" in err
    assert_same(coffer_bin, ["policy", "delete", "from-bao"], addr, "root")

    # Mounts: each client mounts its own path; the outputs match with the path swapped.
    for kind, extra in (("secrets", ["-version=2", "kv"]), ("secrets", ["kv-v2"]), ("auth", ["approle"])):
        b = run(BAO, [kind, "enable", f"-path=b-{kind}-{extra[-1]}"] + extra, addr, "root")
        c = run(coffer_bin, [kind, "enable", f"-path=c-{kind}-{extra[-1]}"] + extra, addr, "root")
        assert c[0] == b[0] == 0, (b, c)
        assert c[1].replace("c-", "b-") == b[1]
        b = run(BAO, [kind, "enable", f"-path=b-{kind}-{extra[-1]}"] + extra, addr, "root")
        c = run(coffer_bin, [kind, "enable", f"-path=c-{kind}-{extra[-1]}"] + extra, addr, "root")
        assert c[0] == b[0] == 2 and c[2].replace("c-", "b-") == b[2]
    code, out, _ = run(BAO, ["read", "-field=options", "sys/mounts/c-secrets-kv-v2"], addr, "root")
    assert (code, out) == (0, "map[version:2]")
    assert run(coffer_bin, ["kv", "put", "c-secrets-kv-v2/app", "a=1"], addr, "root")[0] == 0
    for kind, path in (("secrets", "c-secrets-kv"), ("auth", "c-auth-approle"), ("auth", "nonexistent")):
        assert_same(coffer_bin, [kind, "disable", path], addr, "root")
    assert run(BAO, ["read", "sys/mounts/c-secrets-kv"], addr, "root")[0] == 2
    assert_same(coffer_bin, ["secrets", "enable"], addr, "root")

    # Tokens.
    assert_same(coffer_bin, ["token", "create", "-ttl=bogus"], addr, "root")
    assert_same(coffer_bin, ["token", "create", "-policy=default", "-ttl=1.5h", "-field=token_duration"], addr,
                "root")
    code, token, err = run(coffer_bin, ["token", "create", "-policy=from-coffer", "-use-limit=3", "-field=token"],
                           addr, "root")
    assert code == 0 and token.startswith("s."), err
    code, out, _ = run(BAO, ["token", "lookup", "-format=json", token], addr, "root")
    data = json.loads(out)["data"]
    assert data["policies"] == ["default", "from-coffer"] and data["num_uses"] == 3
    assert_same(coffer_bin, ["token", "revoke"], addr, "root")
    code, out, err = run(coffer_bin, ["token", "revoke", token], addr, "root")
    assert (code, out) == (0, "Success! Revoked token (if it existed)\n"), err
    assert run(BAO, ["token", "lookup", token], addr, "root")[0] == 2


def test_yaml_output_matches_bao(coffer_bin, dev_server):
    addr = dev_server.addr
    long_text = " ".join(["alpha"] * 40)
    code, _, err = run(BAO, ["write", "cubbyhole/yaml", "plain=hello world", "boolish=yes", "number=1.5", "empty=",
                             "dash=- x", "colon=a: b", "multi=one\ntwo", "lead= x", "when=2026-11-22", "tab=a\tb",
                             "quote=it's", f"long={long_text}", "s10=x", "s9=y"], addr, "root")
    assert code == 0, err
    for args in (["read", "-format=yaml", "cubbyhole/yaml"], ["read", "-format=yml", "-field=multi", "cubbyhole/yaml"],
                 ["read", "-format=yaml", "-field=long", "cubbyhole/yaml"], ["status", "-format=yaml"],
                 ["token", "lookup", "-format=yaml"], ["list", "-format=yaml", "cubbyhole"],
                 ["read", "-format=yaml", "sys/mounts"]):
        assert_same(coffer_bin, args, addr, "root")
