"""DR replication helpers shared by tests/cluster/test_dr_replication.py and cluster/dr-drill: activate a
secondary cluster against a primary, wait for it to catch up, generate a DR operation token from unseal shares,
promote."""

import base64
import time

from cluster import Cluster


def ok(result, *codes):
    status, body = result
    assert status in (codes or (200, 204)), (status, body)
    return body


def activate(primary: Cluster, secondary: Cluster, secondary_id="dr1"):
    """primary/enable, secondary-token, secondary/enable. Returns the activation token's wrap_info."""
    active = primary.active()
    status, body = active.call("PUT", "sys/replication/dr/primary/enable", {}, token=primary.root_token)
    assert status in (200, 204) or "already enabled" in str(body), (status, body)
    body = ok(active.call("PUT", "sys/replication/dr/primary/secondary-token", {"id": secondary_id, "ttl": "5m"},
                          token=primary.root_token))
    wrap = body["wrap_info"]
    ok(secondary.active().call("PUT", "sys/replication/dr/secondary/enable",
                               {"token": wrap["token"], "primary_api_addr": active.addr},
                               token=secondary.root_token))
    return wrap


def status(cluster: Cluster):
    code, body = status_call(cluster)
    assert code == 200, (code, body)
    return body["data"]


def status_call(cluster: Cluster):
    node = cluster.active() or next(node for node in cluster.nodes if node.alive)
    return node.call("GET", "sys/replication/dr/status")


def wait_caught_up(primary: Cluster, secondary: Cluster, seconds=60):
    """Waits until the secondary has applied everything the primary had applied when called. A 503 from the
    secondary while it waits (its active node changed between the health probe and the call, as it may while
    it installs the primary's snapshot) means "not yet"; any other error status fails at once."""
    target = status(primary)["last_wal"]

    def caught_up():
        code, body = status_call(secondary)
        if code == 503:
            return False
        assert code == 200, (code, body)
        return body["data"].get("state") == "stream-wals" and body["data"]["last_remote_wal"] >= target

    Cluster.wait(caught_up, seconds, f"secondary at primary index {target}")


def operation_token(cluster: Cluster, keys, threshold):
    """generate-operation-token with `keys`; returns (token, last response)."""
    node = cluster.active()
    base = "sys/replication/dr/secondary/generate-operation-token"
    node.call("DELETE", f"{base}/attempt")
    start = ok(node.call("PUT", f"{base}/attempt", {}))
    otp, nonce = start["otp"], start["nonce"]
    body = None
    for key in keys[:threshold]:
        status_code, body = node.call("PUT", f"{base}/update", {"key": key, "nonce": nonce})
        if status_code != 200:
            return None, (status_code, body)
    encoded = body["encoded_token"]
    raw = base64.b64decode(encoded + "=" * (-len(encoded) % 4))
    return bytes(a ^ b for a, b in zip(raw, otp.encode())).decode(), body


def promote(cluster: Cluster, token):
    """Promotes; returns (status, body, seconds the call took)."""
    started = time.monotonic()
    code, body = cluster.active().call("PUT", "sys/replication/dr/secondary/promote", {"dr_operation_token": token})
    return code, body, time.monotonic() - started
