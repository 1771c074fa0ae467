"""Standbys answer reads themselves (a read-index round with the active node, then their own copy of the
state) and forward everything that would write. Each check here fails if a standby answered from a stale
copy: of the data, of the mount table, of a policy, or of a token's remaining uses."""

import re
import urllib.request

import pytest

from cluster import Cluster


@pytest.fixture(scope="module")
def cluster3():
    cluster = Cluster(3, extra_config="unsafe_allow_api_audit_creation = true\n").start()
    yield cluster
    cluster.cleanup()


def standby_reads(node, token):
    req = urllib.request.Request(f"{node.addr}/v1/sys/metrics", headers={"X-Vault-Token": token})
    with urllib.request.urlopen(req, timeout=30) as response:
        text = response.read().decode()
    counts = {}
    for outcome in ("served", "forwarded"):
        match = re.search(r'^coffer_standby_reads\{outcome="%s"\} (\d+)' % outcome, text, re.M)
        counts[outcome] = int(match.group(1)) if match else 0
    return counts


def test_standby_reads_see_every_acknowledged_write_at_once(cluster3):
    token = cluster3.root_token
    active, standby = cluster3.active(), cluster3.standbys()[0]
    assert active.call("POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}}, token=token)[0] == 204
    before = standby_reads(standby, token)
    # A write acknowledged by the active node is read back on the standby by the very next request: a standby
    # that answered from its own copy without the read-index round would lag by up to a heartbeat.
    for i in range(60):
        assert active.call("POST", "secret/data/seq", {"data": {"i": i}}, token=token)[0] == 200
        status, body = standby.call("GET", "secret/data/seq", token=token)
        assert status == 200 and body["data"]["data"] == {"i": i}, (i, body)
    # Two paths a standby must answer like the active node: a missing secret and a list.
    assert standby.call("GET", "secret/data/absent", token=token)[0] == 404
    status, body = standby.call("LIST", "secret/metadata", token=token)
    assert status == 200 and body["data"]["keys"] == ["seq"]
    after = standby_reads(standby, token)
    assert after["served"] - before["served"] >= 62, (before, after)


def test_standby_rebuilds_mounts_and_policies_after_writes_elsewhere(cluster3):
    token = cluster3.root_token
    active, standby = cluster3.active(), cluster3.standbys()[0]
    # A mount created on the active node is readable on the standby at once.
    assert active.call("POST", "sys/mounts/fresh", {"type": "kv", "options": {"version": "2"}}, token=token)[0] == 204
    assert active.call("POST", "fresh/data/a", {"data": {"k": "v"}}, token=token)[0] == 200
    status, body = standby.call("GET", "fresh/data/a", token=token)
    assert status == 200 and body["data"]["data"] == {"k": "v"}, body

    # A policy change on the active node takes effect on the standby's next read.
    policy = 'path "fresh/data/a" { capabilities = ["read"] }'
    assert active.call("POST", "sys/policies/acl/reader", {"policy": policy}, token=token)[0] == 204
    status, body = active.call("POST", "auth/token/create", {"policies": ["reader"]}, token=token)
    reader = body["auth"]["client_token"]
    assert standby.call("GET", "fresh/data/a", token=reader)[0] == 200
    assert active.call("POST", "sys/policies/acl/reader", {"policy": 'path "other/*" { capabilities = ["read"] }'},
                       token=token)[0] == 204
    assert standby.call("GET", "fresh/data/a", token=reader)[0] == 403

    # A revoked token is refused by the standby at once.
    assert active.call("POST", "auth/token/revoke", {"token": reader}, token=token)[0] == 204
    assert standby.call("GET", "fresh/data/a", token=reader)[0] == 403


def test_standby_forwards_reads_that_write(cluster3):
    token = cluster3.root_token
    active, standby = cluster3.active(), cluster3.standbys()[0]
    assert active.call("POST", "sys/mounts/uses", {"type": "kv", "options": {"version": "2"}}, token=token)[0] == 204
    assert active.call("POST", "uses/data/a", {"data": {"k": "v"}}, token=token)[0] == 200
    # A token with two uses: each read spends one (a write), so the standby must forward, and the third read
    # is refused. A standby that answered itself would not spend the uses.
    status, body = active.call("POST", "auth/token/create", {"policies": ["root"], "num_uses": 2}, token=token)
    limited = body["auth"]["client_token"]
    before = standby_reads(standby, token)
    assert standby.call("GET", "uses/data/a", token=limited)[0] == 200
    assert standby.call("GET", "uses/data/a", token=limited)[0] == 200
    assert standby.call("GET", "uses/data/a", token=limited)[0] == 403
    after = standby_reads(standby, token)
    assert after["forwarded"] - before["forwarded"] >= 2, (before, after)

    # A read that asks for wrapping creates a token: it is answered by the active node.
    status, body = standby.call("GET", "uses/data/a", token=token, headers={"X-Vault-Wrap-TTL": "60"})
    assert status == 200 and body["wrap_info"]["token"], body
    status, body = active.call("POST", "sys/wrapping/unwrap", token=body["wrap_info"]["token"])
    assert status == 200 and body["data"]["data"] == {"k": "v"}, body


def test_standby_forwards_reads_while_an_audit_device_is_enabled(cluster3, tmp_path):
    token = cluster3.root_token
    active, standby = cluster3.active(), cluster3.standbys()[0]
    assert active.call("POST", "sys/mounts/audited", {"type": "kv", "options": {"version": "2"}},
                       token=token)[0] == 204
    assert active.call("POST", "audited/data/a", {"data": {"k": "v"}}, token=token)[0] == 200
    log = tmp_path / "audit.log"
    status, body = active.call("PUT", "sys/audit/file", {"type": "file", "options": {"file_path": str(log)}},
                               token=token)
    assert status == 204, body
    try:
        before = standby_reads(standby, token)
        assert standby.call("GET", "audited/data/a", token=token)[0] == 200
        after = standby_reads(standby, token)
        assert after["served"] == before["served"], (before, after)
        # The active node's device recorded the read.
        assert "audited/data/a" in log.read_text()
    finally:
        assert active.call("DELETE", "sys/audit/file", token=token)[0] == 204
    # With the device gone the standby serves reads again.
    before = standby_reads(standby, token)
    assert standby.call("GET", "audited/data/a", token=token)[0] == 200
    assert standby_reads(standby, token)["served"] == before["served"] + 1


def test_disable_performance_standby_forwards_every_read():
    cluster = Cluster(3, extra_config="disable_performance_standby = true\n").start()
    try:
        token = cluster.root_token
        active, standby = cluster.active(), cluster.standbys()[0]
        assert active.call("POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}},
                           token=token)[0] == 204
        assert active.call("POST", "secret/data/a", {"data": {"k": "v"}}, token=token)[0] == 200
        status, body = standby.call("GET", "secret/data/a", token=token)
        assert status == 200 and body["data"]["data"] == {"k": "v"}, body
        assert standby_reads(standby, token) == {"served": 0, "forwarded": 0}
    finally:
        cluster.cleanup()
