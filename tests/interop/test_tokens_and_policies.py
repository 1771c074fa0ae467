"""Tokens and ACL policies, the same test against Coffer and OpenBao: the trading-firm
policy through `bao policy write`, token lifetimes, use counts and revocation."""

import concurrent.futures
import json
import time

import pytest

TRADING_POLICY = '''
path "secret/data/trading/exchange-keys/strategy-alpha" { capabilities = ["read"] }
path "secret/data/trading/tls/trading-engine" { capabilities = ["read"] }
path "auth/token/renew-self" { capabilities = ["update"] }
path "auth/token/lookup-self" { capabilities = ["read"] }
path "secret/data/trading/exchange-keys/+" { capabilities = ["deny"] }
path "secret/data/reporting/*" { capabilities = ["deny"] }
'''

PROBES = [
    "secret/data/trading/exchange-keys/strategy-alpha",
    "secret/data/trading/exchange-keys/strategy-beta",
    "secret/data/trading/exchange-keys",
    "secret/data/trading/exchange-keys/strategy-alpha/extra",
    "secret/data/trading/tls/trading-engine",
    "secret/data/trading/tls/other",
    "secret/data/reporting/q3",
    "secret/data/reporting",
    "auth/token/renew-self",
    "auth/token/lookup-self",
    "auth/token/create",
    "sys/mounts",
]


def ready(server):
    status, answer = server.call("PUT", "sys/init", {"secret_shares": 1, "secret_threshold": 1})
    assert status == 200, answer
    server.call("PUT", "sys/unseal", {"key": answer["keys"][0]})
    server.wait_active()
    return answer["root_token"]


def create(server, root, **fields):
    status, answer = server.call("POST", "auth/token/create", fields, token=root)
    assert status == 200, answer
    return answer["auth"]


def test_trading_policy_through_the_cli(either):
    root = ready(either)
    policy_file = either.dir / "trading.hcl"
    policy_file.write_text(TRADING_POLICY)
    out = either.cli("policy", "write", "trading", str(policy_file), token=root)
    assert out.returncode == 0, out.stderr
    out = either.cli("policy", "read", "-format=json", "trading", token=root)
    assert out.returncode == 0, out.stderr
    out = either.cli("token", "create", "-policy=trading", "-format=json", token=root)
    assert out.returncode == 0, out.stderr
    token = json.loads(out.stdout)["auth"]["client_token"]
    status, answer = either.call("POST", "sys/capabilities-self", {"paths": PROBES}, token=token)
    assert status == 200, answer
    decided = {path: sorted(answer["data"][path]) for path in PROBES}
    assert decided == EXPECTED_TRADING, decided
    # The token can look itself up and renew, and nothing else.
    assert either.call("GET", "auth/token/lookup-self", token=token)[0] == 200
    assert either.call("PUT", "auth/token/renew-self", {}, token=token)[0] == 200
    assert either.call("GET", "sys/mounts", token=token)[0] == 403
    assert either.call("POST", "auth/token/create", {}, token=token)[0] == 403


# OpenBao 2.7.2's answers for the probes above (the test asserts the same on both).
EXPECTED_TRADING = {
    "secret/data/trading/exchange-keys/strategy-alpha": ["read"],
    "secret/data/trading/exchange-keys/strategy-beta": ["deny"],
    "secret/data/trading/exchange-keys": ["deny"],
    "secret/data/trading/exchange-keys/strategy-alpha/extra": ["deny"],
    "secret/data/trading/tls/trading-engine": ["read"],
    "secret/data/trading/tls/other": ["deny"],
    "secret/data/reporting/q3": ["deny"],
    "secret/data/reporting": ["deny"],
    "auth/token/renew-self": ["update"],
    "auth/token/lookup-self": ["read"],
    "auth/token/create": ["deny"],
    "sys/mounts": ["deny"],
}


def test_revoked_expired_and_bad_tokens_get_403(either):
    root = ready(either)
    token = create(either, root, policies=["default"])["client_token"]
    assert either.call("GET", "auth/token/lookup-self", token=token)[0] == 200
    assert either.call("POST", "auth/token/revoke", {"token": token}, token=root)[0] == 204
    status, answer = either.call("GET", "auth/token/lookup-self", token=token)
    assert status == 403 and answer == {"errors": ["permission denied"]}
    short = create(either, root, policies=["default"], ttl="2s")["client_token"]
    assert either.call("GET", "auth/token/lookup-self", token=short)[0] == 200
    time.sleep(3.5)
    status, answer = either.call("GET", "auth/token/lookup-self", token=short)
    assert status == 403 and answer == {"errors": ["permission denied"]}
    assert either.call("GET", "auth/token/lookup-self", token="s.nonexistentnonexistent00")[0] == 403
    assert either.call("GET", "auth/token/lookup-self")[0] == 403


def test_revoking_a_parent_revokes_its_children_but_not_orphans(either):
    root = ready(either)
    either.call("PUT", "sys/policies/acl/creator",
                {"policy": 'path "auth/token/create" { capabilities = ["update"] }'}, token=root)
    parent = create(either, root, policies=["creator"])["client_token"]
    status, answer = either.call("POST", "auth/token/create", {"policies": ["default"]}, token=parent)
    assert status == 200, answer
    child = answer["auth"]["client_token"]
    assert answer["auth"]["orphan"] is False
    orphan = create(either, root, policies=["default"], no_parent=True)
    assert orphan["orphan"] is True
    assert either.call("POST", "auth/token/revoke", {"token": parent}, token=root)[0] == 204
    assert either.call("GET", "auth/token/lookup-self", token=child)[0] == 403
    assert either.call("GET", "auth/token/lookup-self", token=orphan["client_token"])[0] == 200


def test_num_uses_two_works_twice_then_403(either):
    root = ready(either)
    token = create(either, root, policies=["default"], num_uses=2)["client_token"]
    first = either.call("GET", "auth/token/lookup-self", token=token)
    second = either.call("GET", "auth/token/lookup-self", token=token)
    assert first[0] == 200 and first[1]["data"]["num_uses"] == 1
    assert second[0] == 200 and second[1]["data"]["num_uses"] == -1
    assert either.call("GET", "auth/token/lookup-self", token=token)[0] == 403


def test_twenty_concurrent_requests_on_a_single_use_token(either):
    root = ready(either)
    for _ in range(3):
        token = create(either, root, policies=["default"], num_uses=1)["client_token"]
        with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
            statuses = list(pool.map(
                lambda _: either.call("GET", "auth/token/lookup-self", token=token)[0], range(20)))
        assert statuses.count(200) == 1, statuses
        if either.kind == "coffer":
            # OpenBao 2.7.2 sometimes answers one of the losers with a 500; Coffer must not.
            assert statuses.count(403) == 19, statuses


def test_child_policies_must_be_a_subset(either):
    root = ready(either)
    either.call("PUT", "sys/policies/acl/small", {"policy": 'path "a/*" { capabilities = ["read"] }'}, token=root)
    parent = create(either, root, policies=["small"])["client_token"]
    either.call("PUT", "sys/policies/acl/small", {
        "policy": 'path "a/*" { capabilities = ["read"] }\npath "auth/token/create" { capabilities = ["update"] }'},
        token=root)
    status, _ = either.call("POST", "auth/token/create", {"policies": ["root"]}, token=parent)
    assert status == 400
    status, answer = either.call("POST", "auth/token/create", {"policies": ["small"]}, token=parent)
    assert status == 200, answer


@pytest.mark.parametrize("document", [
    'path "x" { capabilities = ["bogus"] }',
    'path "x" { capabilities = "read" ',
    'pth "x" {}',
])
def test_bad_policies_are_refused_with_a_line(either, document):
    root = ready(either)
    status, answer = either.call("PUT", "sys/policies/acl/bad", {"policy": document}, token=root)
    assert status == 400 and answer["errors"]
    assert either.call("GET", "sys/policies/acl/bad", token=root)[0] == 404


def test_trading_policy_with_hvac_and_real_requests(either):
    import hvac
    root = ready(either)
    admin = hvac.Client(url=either.addr, token=root)
    admin.sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
    admin.sys.create_or_update_policy(name="trading", policy=TRADING_POLICY)
    paths = ["trading/exchange-keys/strategy-alpha", "trading/exchange-keys/strategy-beta",
             "trading/tls/trading-engine", "trading/tls/other", "reporting/q3"]
    for path in paths:
        admin.secrets.kv.v2.create_or_update_secret(path=path, secret={"value": path})
    token = admin.auth.token.create(policies=["trading"])["auth"]["client_token"]
    app = hvac.Client(url=either.addr, token=token)
    outcomes = {}
    for path in paths:
        try:
            secret = app.secrets.kv.v2.read_secret_version(path=path, raise_on_deleted_version=True)
            outcomes[path] = secret["data"]["data"]["value"] == path
        except hvac.exceptions.Forbidden:
            outcomes[path] = "denied"
    assert outcomes == {
        "trading/exchange-keys/strategy-alpha": True,
        "trading/exchange-keys/strategy-beta": "denied",
        "trading/tls/trading-engine": True,
        "trading/tls/other": "denied",
        "reporting/q3": "denied",
    }, outcomes
    with pytest.raises(hvac.exceptions.Forbidden):
        app.secrets.kv.v2.create_or_update_secret(path="trading/tls/trading-engine", secret={"x": "y"})
    assert app.auth.token.lookup_self()["data"]["policies"] == ["default", "trading"]
