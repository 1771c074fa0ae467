"""The secret-zero flow a provisioning system runs, against Coffer and OpenBao alike:
a wrapped secret_id handed to a new machine, unwrapped once, used to log in."""

import concurrent.futures
import json
import time

import hvac
import pytest

from servers import Server

APP_POLICY = '''
path "secret/data/trading/exchange-keys/strategy-alpha" { capabilities = ["read"] }
path "secret/data/trading/*" { capabilities = ["deny"] }
'''


def provision(server):
    """A 1-share node with kv-v2 at secret/, AppRole at approle/, a role and a secret."""
    status, answer = server.call("PUT", "sys/init", {"secret_shares": 1, "secret_threshold": 1})
    assert status == 200, answer
    server.call("PUT", "sys/unseal", {"key": answer["keys"][0]})
    server.wait_active()
    root = answer["root_token"]
    assert server.mount_kv2(root) == 204
    assert server.call("POST", "sys/auth/approle", {"type": "approle"}, token=root)[0] == 204
    assert server.call("PUT", "sys/policies/acl/trading-engine", {"policy": APP_POLICY}, token=root)[0] == 204
    status, answer = server.call("POST", "auth/approle/role/trading-engine", {
        "token_policies": ["trading-engine"], "token_ttl": "1h", "secret_id_ttl": "10m"}, token=root)
    assert status == 204, answer
    status, answer = server.call("POST", "secret/data/trading/exchange-keys/strategy-alpha",
                                 {"data": {"api_key": "alpha-key-123"}}, token=root)
    assert status == 200, answer
    server.call("POST", "secret/data/trading/exchange-keys/strategy-beta", {"data": {"api_key": "beta"}}, token=root)
    return root


def test_bootstrap_flow_with_the_bao_cli(either):
    root = provision(either)
    role_id = json.loads(either.cli("read", "-format=json", "auth/approle/role/trading-engine/role-id",
                                    token=root).stdout)["data"]["role_id"]
    # The provisioning system: a wrapped secret_id, nothing else.
    out = either.cli("write", "-wrap-ttl=60s", "-field=wrapping_token", "-f",
                     "auth/approle/role/trading-engine/secret-id", token=root)
    assert out.returncode == 0, out.stderr
    wrapping_token = out.stdout.strip()
    # The new machine checks where the token came from before unwrapping.
    out = either.cli("write", "-format=json", "sys/wrapping/lookup", f"token={wrapping_token}")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["data"]["creation_path"] == "auth/approle/role/trading-engine/secret-id"
    out = either.cli("unwrap", "-field=secret_id", wrapping_token)
    assert out.returncode == 0, out.stderr
    secret_id = out.stdout.strip()
    out = either.cli("write", "-field=token", "auth/approle/login", f"role_id={role_id}", f"secret_id={secret_id}")
    assert out.returncode == 0, out.stderr
    app_token = out.stdout.strip()
    out = either.cli("kv", "get", "-format=json", "secret/trading/exchange-keys/strategy-alpha", token=app_token)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["data"]["data"] == {"api_key": "alpha-key-123"}
    out = either.cli("kv", "get", "secret/trading/exchange-keys/strategy-beta", token=app_token)
    assert out.returncode == 2 and "permission denied" in out.stderr
    # An interceptor who tries the wrapping token afterwards is refused.
    out = either.cli("unwrap", wrapping_token)
    assert out.returncode == 2


def test_bootstrap_flow_with_hvac(either):
    root = provision(either)
    admin = hvac.Client(url=either.addr, token=root)
    role_id = admin.auth.approle.read_role_id("trading-engine")["data"]["role_id"]
    wrapped = admin.auth.approle.generate_secret_id("trading-engine", wrap_ttl="60s")
    wrap_info = wrapped["wrap_info"]
    assert wrap_info["creation_path"] == "auth/approle/role/trading-engine/secret-id"
    # The new machine holds only the wrapping token, and unwraps with it.
    machine = hvac.Client(url=either.addr, token=wrap_info["token"])
    unwrapped = machine.sys.unwrap()
    secret_id = unwrapped["data"]["secret_id"]
    assert unwrapped["data"]["secret_id_accessor"] == wrap_info["wrapped_accessor"]
    login = machine.auth.approle.login(role_id=role_id, secret_id=secret_id)
    assert "trading-engine" in login["auth"]["policies"]
    secret = machine.secrets.kv.v2.read_secret_version(
        path="trading/exchange-keys/strategy-alpha", raise_on_deleted_version=True)
    assert secret["data"]["data"] == {"api_key": "alpha-key-123"}
    with pytest.raises(hvac.exceptions.Forbidden):
        machine.secrets.kv.v2.read_secret_version(
            path="trading/exchange-keys/strategy-beta", raise_on_deleted_version=True)
    with pytest.raises((hvac.exceptions.InvalidRequest, hvac.exceptions.Forbidden)):
        hvac.Client(url=either.addr, token=wrap_info["token"]).sys.unwrap()


def test_wrapping_token_is_single_use_and_expires(either):
    root = provision(either)
    headers = {"X-Vault-Wrap-TTL": "2s"}
    status, answer = either.call("POST", "auth/approle/role/trading-engine/secret-id", {}, token=root,
                                 headers=headers)
    assert status == 200, answer
    expiring = answer["wrap_info"]["token"]
    time.sleep(3.5)
    status, answer = either.call("POST", "sys/wrapping/unwrap", {}, token=expiring)
    assert status in (400, 403), answer


def test_thirty_two_concurrent_unwraps_exactly_one_wins(coffer):
    root = provision(coffer)
    for trial in range(50):
        status, answer = coffer.call("POST", "auth/approle/role/trading-engine/secret-id", {}, token=root,
                                     headers={"X-Vault-Wrap-TTL": "60s"})
        assert status == 200, answer
        wrapping_token = answer["wrap_info"]["token"]
        with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
            results = list(pool.map(
                lambda _: coffer.call("POST", "sys/wrapping/unwrap", {}, token=wrapping_token), range(32)))
        winners = [body for status, body in results if status == 200]
        assert len(winners) == 1, (trial, [s for s, _ in results])
        assert winners[0]["data"]["secret_id"]
        assert all(status in (400, 403) for status, _ in results if status != 200), (trial, results)


def test_secret_id_with_one_use_logs_in_once_under_concurrency(coffer):
    root = provision(coffer)
    role_id = coffer.call("GET", "auth/approle/role/trading-engine/role-id", token=root)[1]["data"]["role_id"]
    status, answer = coffer.call("POST", "auth/approle/role/trading-engine/secret-id", {"num_uses": 1}, token=root)
    assert status == 200, answer
    secret_id = answer["data"]["secret_id"]
    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda _: coffer.call(
            "POST", "auth/approle/login", {"role_id": role_id, "secret_id": secret_id}), range(20)))
    assert [s for s, _ in results].count(200) == 1, [s for s, _ in results]


def test_no_secret_in_logs_or_on_disk_after_the_flow(coffer):
    root = provision(coffer)
    role_id = coffer.call("GET", "auth/approle/role/trading-engine/role-id", token=root)[1]["data"]["role_id"]
    status, answer = coffer.call("POST", "auth/approle/role/trading-engine/secret-id", {}, token=root,
                                 headers={"X-Vault-Wrap-TTL": "60s"})
    wrapping_token = answer["wrap_info"]["token"]
    status, answer = coffer.call("POST", "sys/wrapping/unwrap", {}, token=wrapping_token)
    secret_id = answer["data"]["secret_id"]
    status, answer = coffer.call("POST", "auth/approle/login", {"role_id": role_id, "secret_id": secret_id})
    client_token = answer["auth"]["client_token"]
    coffer.stop()
    needles = {"secret_id": secret_id, "wrapping token": wrapping_token, "client token": client_token,
               "root token": root, "secret value": "alpha-key-123"}
    found = []
    for path in list(coffer.data_dir.rglob("*")) + [coffer.log]:
        if path.is_file():
            content = path.read_bytes()
            found += [(str(path), name) for name, value in needles.items() if value.encode() in content]
    assert not found, found


def test_bootstrap_flow_with_coffers_own_cli(coffer):
    from servers import coffer_binary
    binary = coffer_binary()
    root = provision(coffer)
    out = coffer.cli("read", "-field=role_id", "auth/approle/role/trading-engine/role-id", token=root, binary=binary)
    assert out.returncode == 0, out.stderr
    role_id = out.stdout.strip()
    # Runbooks often omit -f here; Coffer's CLI sends an empty body either way.
    out = coffer.cli("write", "-wrap-ttl=60s", "-field=wrapping_token", "auth/approle/role/trading-engine/secret-id",
                     token=root, binary=binary)
    assert out.returncode == 0, out.stderr
    wrapping_token = out.stdout.strip()
    assert wrapping_token.startswith("s.")
    out = coffer.cli("unwrap", "-field=secret_id", wrapping_token, binary=binary)
    assert out.returncode == 0, out.stderr
    secret_id = out.stdout.strip()
    out = coffer.cli("write", "-field=token", "auth/approle/login", f"role_id={role_id}", f"secret_id={secret_id}",
                     binary=binary)
    assert out.returncode == 0, out.stderr
    app_token = out.stdout.strip()
    out = coffer.cli("kv", "get", "-field=api_key", "secret/trading/exchange-keys/strategy-alpha", token=app_token,
                     binary=binary)
    assert out.returncode == 0 and out.stdout.strip() == "alpha-key-123", (out.stdout, out.stderr)
    out = coffer.cli("unwrap", wrapping_token, binary=binary)
    assert out.returncode == 2


def test_wrap_ttl_bounds(either):
    root = provision(either)
    status, answer = either.call("POST", "sys/wrapping/wrap", {"a": 1}, token=root, headers={"X-Vault-Wrap-TTL": "800h"})
    assert status == 200 and answer["wrap_info"]["ttl"] == 800 * 3600, answer
    # Wrapped once: unwrapping gives the data back, not another wrapping token.
    status, unwrapped = either.call("POST", "sys/wrapping/unwrap", {}, token=answer["wrap_info"]["token"])
    assert status == 200 and unwrapped["data"] == {"a": 1} and unwrapped["wrap_info"] is None, unwrapped
    status, answer = either.call("POST", "sys/wrapping/wrap", {"a": 1}, token=root, headers={"X-Vault-Wrap-TTL": "-5s"})
    assert status == 400 and answer == {
        "errors": ["error parsing X-Vault-Wrap-TTL header: requested wrap ttl cannot be negative"]}
    status, answer = either.call("POST", "sys/wrapping/wrap", {"a": 1}, token=root, headers={"X-Vault-Wrap-TTL": "abc"})
    assert status == 400 and answer == {"errors": ["error parsing X-Vault-Wrap-TTL header: time: invalid duration \"abc\""]}
    status, answer = either.call("POST", "sys/wrapping/wrap", {"a": 1}, token=root)
    assert status == 400 and answer == {"errors": ["endpoint requires response wrapping to be used"]}
