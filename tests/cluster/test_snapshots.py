"""Raft snapshots on real 3-node clusters: save, inspect, restore (same cluster, another cluster with and
without force), refusal of truncated and altered archives, and the bao CLI against Coffer.

COFFER_SNAPSHOT_SECRETS sets the store size of the large test (default 100000)."""

import concurrent.futures
import http.client
import json
import os
import stat
import subprocess
import threading
import time
import urllib.request

import pytest

from cluster import Cluster, bao_binary, coffer_binary

SECRETS = int(os.environ.get("COFFER_SNAPSHOT_SECRETS", "100000"))


@pytest.fixture
def cluster_a():
    cluster = Cluster(3).start()
    yield cluster
    cluster.cleanup()


def cli(binary, node, *args, token=None):
    env = {"VAULT_ADDR": node.addr, "BAO_ADDR": node.addr, "COFFER_ADDR": node.addr, "PATH": "/usr/bin:/bin",
           "HOME": str(node.dir)}
    if token:
        env["VAULT_TOKEN"] = env["BAO_TOKEN"] = env["COFFER_TOKEN"] = token
    return subprocess.run([binary, *args], env=env, capture_output=True, text=True, timeout=600)


def digest(node, token):
    status, body = node.call("GET", "sys/storage/raft/state-digest", token=token)
    assert status == 200, body
    return body["data"]


def fill(node, token, count, prefix="s", value="x" * 64):
    """Writes `count` KV v1 secrets through persistent connections, 32 at a time."""
    host, port = "127.0.0.1", node.port
    local = threading.local()
    body = json.dumps({"value": value}).encode()

    def put(index):
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection(host, port, timeout=60)
        local.conn.request("PUT", f"/v1/kv/{prefix}/{index:06d}", body, {"X-Vault-Token": token})
        response = local.conn.getresponse()
        response.read()
        return response.status

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        codes = list(pool.map(put, range(count), chunksize=256))
    assert codes.count(204) == count, {code: codes.count(code) for code in set(codes)}


def post_archive(node, path, data, token, timeout=600):
    conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=timeout)
    conn.request("POST", f"/v1/{path}", data, {"X-Vault-Token": token})
    response = conn.getresponse()
    text = response.read().decode()
    return response.status, (json.loads(text) if text.strip() else None)


def filled_and_saved(cluster, tmp_path, count):
    """Mounts KV v1 at kv/, writes `count` secrets, saves an archive with the coffer CLI."""
    token = cluster.root_token
    mount_kv(cluster)
    active = cluster.active()
    fill(active, token, count)
    archive = tmp_path / "a.snap"
    out = cli(coffer_binary(), active, "operator", "raft", "snapshot", "save", str(archive), token=token)
    assert out.returncode == 0, out.stderr
    return token, active, archive


def mount_kv(cluster):
    status, body = cluster.active().call("POST", "sys/mounts/kv", {"type": "kv"}, token=cluster.root_token)
    assert status == 204, body


def test_save_restore_100k_into_fresh_cluster(cluster_a, tmp_path):
    token = cluster_a.root_token
    mount_kv(cluster_a)
    active = cluster_a.active()
    started = time.time()
    fill(active, token, SECRETS)
    print(f"wrote {SECRETS} secrets in {time.time() - started:.1f}s")
    archive = tmp_path / "a.snap"
    started = time.time()
    out = cli(coffer_binary(), cluster_a.standbys()[0], "operator", "raft", "snapshot", "save", str(archive),
              token=token)
    assert out.returncode == 0, out.stderr
    print(f"saved {archive.stat().st_size} bytes in {time.time() - started:.1f}s (through a standby)")
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    out = cli(coffer_binary(), active, "operator", "raft", "snapshot", "inspect", "-format=json", str(archive))
    assert out.returncode == 0, out.stderr
    meta = json.loads(out.stdout)
    assert int(meta["records"]) >= SECRETS
    source = digest(active, token)
    assert meta["content_hash"] == source["content_hash"]

    cluster_b = Cluster(3).start()
    try:
        b_active = cluster_b.active()
        data = archive.read_bytes()
        # Another cluster's archive: refused unless forced, and nothing changes.
        before = digest(b_active, cluster_b.root_token)["content_hash"]
        status, body = post_archive(b_active, "sys/storage/raft/snapshot", data, cluster_b.root_token)
        assert status == 400 and "different root key" in body["errors"][0], (status, body)
        assert digest(b_active, cluster_b.root_token)["content_hash"] == before
        started = time.time()
        out = cli(coffer_binary(), b_active, "operator", "raft", "snapshot", "restore", "-force", str(archive),
                  token=cluster_b.root_token)
        assert out.returncode == 0, out.stderr
        print(f"forced restore of {len(data)} bytes in {time.time() - started:.1f}s")
        # The restored keyring is cluster A's: every node of B seals and opens with A's keys.
        cluster_b.wait(lambda: all(node.call("GET", "sys/seal-status")[1]["sealed"] for node in cluster_b.nodes),
                       60, "B sealed after the forced restore")
        for node in cluster_b.nodes:
            node.unseal(cluster_a.keys[:cluster_a.threshold])
        cluster_b.wait(lambda: cluster_b.active() is not None, 60, "B active again")
        for node in cluster_b.nodes:
            cluster_b.wait(lambda: digest(node, token)["content_hash"] == source["content_hash"], 60,
                           f"{node.name} holds A's content")
        status, body = cluster_b.standbys()[0].call("GET", f"kv/s/{SECRETS - 1:06d}", token=token)
        assert status == 200 and body["data"]["value"] == "x" * 64, body
    finally:
        cluster_b.cleanup()


def test_same_cluster_restore_rolls_back_on_every_node(cluster_a, tmp_path):
    token, active, archive = filled_and_saved(cluster_a, tmp_path, 500)
    saved = digest(active, token)["content_hash"]
    assert active.call("PUT", "kv/after", {"value": "later"}, token=token)[0] == 204
    assert active.call("DELETE", "kv/s/000001", token=token)[0] == 204
    assert digest(active, token)["content_hash"] != saved
    # Restore through a standby (redirected to the active node).
    out = cli(coffer_binary(), cluster_a.standbys()[0], "operator", "raft", "snapshot", "restore", str(archive),
              token=token)
    assert out.returncode == 0, out.stderr
    for node in cluster_a.nodes:
        cluster_a.wait(lambda: digest(node, token)["content_hash"] == saved, 30, f"{node.name} rolled back")
    cluster_a.wait(lambda: cluster_a.active() is not None, 30, "active after restore")
    active = cluster_a.active()
    assert active.call("GET", "kv/after", token=token)[0] == 404
    status, body = active.call("GET", "kv/s/000001", token=token)
    assert status == 200 and body["data"]["value"] == "x" * 64
    assert active.call("PUT", "kv/new", {"value": "n"}, token=token)[0] == 204


def test_truncated_and_altered_archives_are_refused(cluster_a, tmp_path):
    token, active, archive = filled_and_saved(cluster_a, tmp_path, 2000)
    data = archive.read_bytes()
    before = digest(active, token)["content_hash"]
    cases = {
        "truncated": data[: len(data) // 2],
        "truncated at the end": data[:-3],
        "flipped": data[: len(data) // 2] + bytes([data[len(data) // 2] ^ 0x01]) + data[len(data) // 2 + 1:],
        "garbage": b"not a snapshot at all",
    }
    for name, payload in cases.items():
        for path in ("sys/storage/raft/snapshot", "sys/storage/raft/snapshot-force"):
            status, body = post_archive(active, path, payload, token)
            assert status == 400, (name, path, status, body)
            message = body["errors"][0]
            assert ("truncated" in message or "corrupt" in message or "format" in message), (name, message)
    bad = tmp_path / "flipped.snap"
    bad.write_bytes(cases["flipped"])
    out = cli(coffer_binary(), active, "operator", "raft", "snapshot", "inspect", str(bad))
    assert out.returncode != 0 and "corrupt" in out.stderr, out.stderr
    out = cli(coffer_binary(), active, "operator", "raft", "snapshot", "restore", str(bad), token=token)
    assert out.returncode != 0 and "corrupt" in out.stderr, out.stderr
    assert digest(active, token)["content_hash"] == before
    # Without a token (or with one lacking the capability) nothing is accepted or served.
    assert post_archive(active, "sys/storage/raft/snapshot", data, "")[0] == 403
    assert active.call("GET", "sys/storage/raft/snapshot")[0] == 403


def test_bao_cli_save_and_restore_against_coffer(cluster_a, tmp_path):
    token = cluster_a.root_token
    mount_kv(cluster_a)
    active = cluster_a.active()
    assert active.call("PUT", "kv/one", {"value": "1"}, token=token)[0] == 204
    archive = tmp_path / "bao.snap"
    out = cli(bao_binary(), active, "operator", "raft", "snapshot", "save", str(archive), token=token)
    assert out.returncode == 0, out.stderr
    out = cli(coffer_binary(), active, "operator", "raft", "snapshot", "inspect", str(archive))
    assert out.returncode == 0, out.stderr
    assert active.call("PUT", "kv/one", {"value": "2"}, token=token)[0] == 204
    out = cli(bao_binary(), active, "operator", "raft", "snapshot", "restore", str(archive), token=token)
    assert out.returncode == 0, out.stderr
    cluster_a.wait(lambda: cluster_a.active() is not None
                   and cluster_a.active().call("GET", "kv/one", token=token)[1]["data"]["value"] == "1",
                   30, "restored value")


def test_scheduled_snapshots_are_written_atomically_pruned_and_failures_reported(cluster_a, tmp_path):
    token = cluster_a.root_token
    mount_kv(cluster_a)
    active = cluster_a.active()
    assert active.call("PUT", "kv/one", {"value": "1"}, token=token)[0] == 204
    target = tmp_path / "auto"
    status, body = active.call("POST", "sys/storage/raft/snapshot-auto/config/every-second",
                               {"interval": "1s", "retain": 2, "path_prefix": str(target), "file_prefix": "c"},
                               token=token)
    assert status == 204, body
    status, body = cluster_a.standbys()[0].call("GET", "sys/storage/raft/snapshot-auto/config/every-second",
                                                token=token)
    assert status == 200 and body["data"]["retain"] == 2 and body["data"]["interval"] == 1, body
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    status, body = active.call("POST", "sys/storage/raft/snapshot-auto/config/broken",
                               {"interval": "1s", "path_prefix": str(blocker / "sub")}, token=token)
    assert status == 204, body
    status, body = active.call("LIST", "sys/storage/raft/snapshot-auto/config", token=token)
    assert status == 200 and body["data"]["keys"] == ["broken", "every-second"], body

    def runs(name):
        status, body = active.call("GET", f"sys/storage/raft/snapshot-auto/status/{name}", token=token)
        assert status == 200, body
        return body["data"]

    cluster_a.wait(lambda: runs("every-second")["last_success"] is not None and
                   len(list(target.glob("c-*.snap"))) == 2 and runs("broken")["consecutive_errors"] >= 2,
                   30, "two scheduled archives and two failures")
    time.sleep(2.5)
    files = sorted(target.iterdir())
    assert len([f for f in files if f.name.startswith("c-")]) == 2, files
    assert not [f for f in files if f.name.endswith(".tmp")] or len(files) <= 3, files
    # Slow the schedule down before opening archives: a run still going would prune the one being read.
    status, body = active.call("POST", "sys/storage/raft/snapshot-auto/config/every-second",
                               {"interval": "1h", "retain": 2, "path_prefix": str(target), "file_prefix": "c"},
                               token=token)
    assert status == 204, body
    listings = []

    def settled():
        listings.append(sorted(f.name for f in target.iterdir()))
        # Unchanged for 2 s (20 polls): the one run already due under the old interval has finished.
        return len(listings) >= 20 and all(listing == listings[-1] for listing in listings[-20:]) and not any(
            name.endswith(".tmp") for name in listings[-1])

    cluster_a.wait(settled, 30, "no scheduled run in progress")
    files = sorted(target.iterdir())
    assert len([f for f in files if f.name.startswith("c-")]) == 2, files
    for file in files:
        if file.name.endswith(".snap"):
            assert stat.S_IMODE(file.stat().st_mode) == 0o600
            out = cli(coffer_binary(), active, "operator", "raft", "snapshot", "inspect", str(file))
            assert out.returncode == 0, out.stderr
    good = runs("every-second")
    assert good["last_snapshot_error"] == "" and good["consecutive_errors"] == 0 and good["next_snapshot_start"]
    bad = runs("broken")
    assert bad["last_snapshot_error"] and bad["last_success"] is None, bad
    scrape = urllib.request.Request(active.addr + "/v1/sys/metrics?format=prometheus",
                                    headers={"X-Vault-Token": token})
    text = urllib.request.urlopen(scrape, timeout=10).read().decode()
    assert 'coffer_snapshot_auto_failing{schedule="broken"} 1' in text, text[-3000:]
    assert "automated snapshot failed" in active.log.read_text()
    # The failing schedule does not stop the cluster.
    assert active.call("PUT", "kv/two", {"value": "2"}, token=token)[0] == 204
    assert active.call("DELETE", "sys/storage/raft/snapshot-auto/config/broken", token=token)[0] == 204
    assert active.call("GET", "sys/storage/raft/snapshot-auto/status/broken", token=token)[0] == 404


def test_schedule_from_the_server_config_runs_on_the_active_node(tmp_path):
    target = tmp_path / "from-config"
    cluster = Cluster(3)
    for node in cluster.nodes:
        with open(node.dir / "config.hcl", "a") as config:
            config.write(f'snapshot_schedule "nightly" {{\n  interval = "1s"\n  retain = 1\n'
                         f'  path_prefix = "{target}"\n}}\n')
    cluster.start()
    try:
        token = cluster.root_token
        active = cluster.active()

        def status():
            code, body = active.call("GET", "sys/storage/raft/snapshot-auto/status/nightly", token=token)
            assert code == 200, body
            return body["data"]

        cluster.wait(lambda: status()["last_success"] is not None, 30, "a scheduled archive from the config")
        time.sleep(2.5)
        files = list(target.glob("coffer-snapshot-*.snap"))
        assert len(files) == 1 and status()["consecutive_errors"] == 0, files
        code, body = active.call("GET", "sys/storage/raft/snapshot-auto/config/nightly", token=token)
        assert code == 200 and body["data"]["retain"] == 1 and body["data"]["path_prefix"] == str(target)
        assert status()["last_snapshot_node"] == active.name

        # The status is stored through the barrier: after a failover the new active node carries on with
        # the same error count instead of starting over (an in-memory status would restart at 1).
        blocker = tmp_path / "not-a-directory"
        blocker.write_text("x")
        assert active.call("POST", "sys/storage/raft/snapshot-auto/config/broken",
                           {"interval": "1s", "path_prefix": str(blocker / "sub")}, token=token)[0] == 204

        def errors(node):
            code, body = node.call("GET", "sys/storage/raft/snapshot-auto/status/broken", token=token)
            return body["data"]["consecutive_errors"] if code == 200 else -1

        cluster.wait(lambda: errors(active) >= 3, 30, "three failed runs")
        assert active.call("PUT", "sys/step-down", token=token)[0] == 204
        cluster.wait(lambda: cluster.active() is not None and cluster.active() is not active, 30, "a new active node")
        successor = cluster.active()
        assert errors(successor) >= 3
        cluster.wait(lambda: errors(successor) >= 4, 30, "the new active node's first failed run")
        code, body = successor.call("GET", "sys/storage/raft/snapshot-auto/status/broken", token=token)
        assert body["data"]["last_snapshot_node"] == successor.name, body
    finally:
        cluster.cleanup()
