"""DR replication between two real 3-node clusters: activation with a wrapped secondary token, log shipping,
refusal of client requests on the secondary, a re-seed after the primary compacted past the secondary, the
DR operation token from the primary's unseal shares, promotion (secrets, tokens, AppRole and wrapping work on the
promoted cluster), and the fencing of the old primary, which then refuses writes."""

import json
import os
import signal
import subprocess

import pytest

from cluster import Cluster, bao_binary
from dr import ok, operation_token, promote, status, wait_caught_up

# Compact the Raft log every 64 entries so the secondary can fall behind the primary's retained log.
ENV = {"COFFER_RAFT_COMPACTION_ENTRIES": "64"}
REFUSAL = "path disabled in replication DR secondary mode"


@pytest.fixture
def clusters():
    primary = Cluster(3, env=ENV).start()
    try:
        secondary = Cluster(3, env=ENV).start()
    except BaseException:
        primary.cleanup()
        raise
    yield primary, secondary
    secondary.cleanup()
    primary.cleanup()


def put(node, token, path, body):
    return ok(node.call("PUT", path, body, token=token))


def bao(node, token, *args):
    """The bao CLI against `node`, JSON output."""
    env = {"BAO_ADDR": node.addr, "BAO_TOKEN": token or "", "PATH": "/usr/bin:/bin", "HOME": str(node.dir)}
    done = subprocess.run([bao_binary(), *args, "-format=json"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else None


def test_dr_secondary_follows_reseeds_and_promotes(clusters):
    primary, secondary = clusters
    root = primary.root_token
    active = primary.active()
    put(active, root, "sys/mounts/kv", {"type": "kv"})
    put(active, root, "sys/auth/approle", {"type": "approle"})
    put(active, root, "auth/approle/role/app", {"token_policies": "default", "secret_id_ttl": "1h"})
    role_id = ok(active.call("GET", "auth/approle/role/app/role-id", token=root))["data"]["role_id"]
    for index in range(20):
        put(active, root, f"kv/before/{index}", {"value": str(index)})
    # About 5 MiB, so a baseline is staged through the secondary's Raft in several entries.
    for index in range(40):
        put(active, root, f"kv/large/{index}", {"value": f"{index:04d}" * 32768})

    # Disabled until enabled; the secondary-token needs an id.
    assert status(secondary)["mode"] == "disabled"
    ok(active.call("PUT", "sys/replication/dr/primary/secondary-token", {}, token=root), 400)

    # Activation through the bao CLI: enable, a wrapped secondary token, secondary/enable.
    bao(active, root, "write", "-f", "sys/replication/dr/primary/enable")
    wrap = bao(active, root, "write", "sys/replication/dr/primary/secondary-token", "id=dr1")["wrap_info"]
    assert wrap["token"] and wrap["creation_path"] == "sys/replication/dr/primary/secondary-token"
    bao(secondary.active(), secondary.root_token, "write", "sys/replication/dr/secondary/enable",
        f"token={wrap['token']}", f"primary_api_addr={active.addr}")
    wait_caught_up(primary, secondary)
    assert bao(secondary.active(), None, "read", "sys/replication/dr/status")["data"]["mode"] == "secondary"
    assert status(primary)["known_secondaries"] == ["dr1"]
    assert status(secondary)["mode"] == "secondary"

    # A DR secondary refuses client reads and writes, on the active node and through a standby.
    for node in [secondary.active(), *secondary.standbys()]:
        code, body = node.call("GET", "kv/before/1", token=root)
        assert code == 400 and REFUSAL in body["errors"][0], (code, body)
        code, body = node.call("PUT", "kv/x", {"value": "1"}, token=secondary.root_token)
        assert code == 400 and REFUSAL in body["errors"][0], (code, body)

    # Streaming: writes after activation arrive.
    for index in range(10):
        put(active, root, f"kv/streamed/{index}", {"value": str(index)})
    wrapped = ok(active.call("PUT", "auth/approle/role/app/secret-id", {}, token=root,
                             headers={"X-Vault-Wrap-TTL": "10m"}))["wrap_info"]["token"]
    wait_caught_up(primary, secondary)
    # Two rotations of the primary's cluster CA: the secondary learns the new CA over its open connection, and
    # after a step-down it connects to another primary node, whose certificate only the newest CA signed.
    for rotation in range(2):
        ok(active.call("PUT", "sys/storage/raft/tls/rotate", {}, token=root))
        put(active, root, f"kv/rotated/{rotation}", {"value": "r"})
        wait_caught_up(primary, secondary)
    put(active, root, "sys/step-down", {})
    Cluster.wait(lambda: primary.active() not in (None, active), 30, "another primary active node")
    active = primary.active()
    put(active, root, "kv/rotated/after-step-down", {"value": "r"})
    wait_caught_up(primary, secondary)
    baselines = status(secondary)["baselines"]

    # Re-seed: the whole secondary pauses while the primary writes far past its compaction threshold.
    for node in secondary.nodes:
        os.kill(node.process.pid, signal.SIGSTOP)
    try:
        for index in range(200):
            put(active, root, f"kv/while-paused/{index}", {"value": str(index)})
    finally:
        for node in secondary.nodes:
            os.kill(node.process.pid, signal.SIGCONT)
    Cluster.wait(lambda: secondary.active() is not None, 60, "secondary active again")
    wait_caught_up(primary, secondary, seconds=90)
    assert status(secondary)["baselines"] > baselines, status(secondary)

    # A restarted secondary node unseals with the primary's shares, no longer with its own cluster's.
    restarted = secondary.standbys()[0]
    restarted.kill(signal.SIGTERM)
    restarted.start()
    codes = [restarted.call("PUT", "sys/unseal", {"key": key})[0] for key in secondary.keys[:secondary.threshold]]
    assert codes[-1] == 400, codes
    assert restarted.unseal(primary.keys[:primary.threshold])["sealed"] is False

    # The operation token needs the primary's shares (the secondary's own no longer open its root key).
    token, answer = operation_token(secondary, secondary.keys, secondary.threshold)
    assert token is None and answer[0] == 400, answer
    token, _ = operation_token(secondary, primary.keys, primary.threshold)
    code, body, _ = promote(secondary, "dro.not-the-token-at-all-xx")
    assert code == 400, (code, body)

    final = status(primary)["last_wal"]
    wait_caught_up(primary, secondary)
    code, body, _ = promote(secondary, token)
    assert code == 200, (code, body)
    code, body, _ = promote(secondary, token)
    assert code == 400, (code, body)  # spent

    # The promoted cluster serves the primary's data, tokens, AppRole roles and wrapping tokens.
    new = secondary.active()
    assert status(secondary)["mode"] == "primary"
    assert status(secondary)["last_wal"] > 0 and final > 0
    assert ok(new.call("GET", "kv/while-paused/199", token=root))["data"]["value"] == "199"
    assert ok(new.call("GET", "kv/before/3", token=root))["data"]["value"] == "3"
    assert ok(new.call("GET", "kv/large/39", token=root))["data"]["value"] == "0039" * 32768
    secret_id = ok(new.call("PUT", "sys/wrapping/unwrap", {}, token=wrapped))["data"]["secret_id"]
    login = ok(new.call("PUT", "auth/approle/login", {"role_id": role_id, "secret_id": secret_id}))
    assert login["auth"]["client_token"]
    put(new, root, "kv/after-promotion", {"value": "new"})
    # The standbys hold the adopted keys: after a step-down another node serves the same data.
    put(new, root, "sys/step-down", {})
    Cluster.wait(lambda: secondary.active() not in (None, new), 30, "another active node")
    assert ok(secondary.active().call("GET", "kv/after-promotion", token=root))["data"]["value"] == "new"

    # The old primary hears of the new generation and refuses writes from then on.
    Cluster.wait(lambda: status(primary).get("demoted") is True, 30, "old primary fenced")
    code, body = primary.active().call("PUT", "kv/fork", {"value": "1"}, token=root)
    assert code == 400 and REFUSAL in body["errors"][0], (code, body)

    # Failback: the old primary follows the new one (update-primary with a new token and an operation token).
    new = secondary.active()
    wrap = ok(new.call("PUT", "sys/replication/dr/primary/secondary-token", {"id": "old-primary"},
                       token=root))["wrap_info"]
    code, body = primary.active().call("PUT", "sys/replication/dr/secondary/update-primary",
                                       {"token": wrap["token"], "primary_api_addr": new.addr})
    assert code == 400, (code, body)  # no operation token
    token, _ = operation_token(primary, primary.keys, primary.threshold)
    ok(primary.active().call("PUT", "sys/replication/dr/secondary/update-primary",
                             {"token": wrap["token"], "primary_api_addr": new.addr, "dr_operation_token": token}))
    wait_caught_up(secondary, primary)
    assert status(primary)["mode"] == "secondary"
    assert status(secondary)["known_secondaries"] == ["old-primary"]

    # A revoked secondary is no longer served.
    ok(secondary.active().call("PUT", "sys/replication/dr/primary/revoke-secondary", {"id": "old-primary"},
                               token=root))
    Cluster.wait(lambda: status(primary)["connection_state"] == "refused", 30, "revoked secondary refused")
    assert status(secondary)["known_secondaries"] == []
