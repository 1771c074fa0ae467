"""A replicated Coffer cluster of real processes: membership, forwarding, failover, rejoin."""

import concurrent.futures
import json
import shutil
import signal
import subprocess
import threading
import time
import urllib.request

import pytest

from cluster import Cluster, bao_binary, request


@pytest.fixture
def cluster3():
    cluster = Cluster(3).start()
    yield cluster
    cluster.cleanup()


def bao(node, *args, token=None):
    env = {"VAULT_ADDR": node.addr, "BAO_ADDR": node.addr, "PATH": "/usr/bin:/bin", "HOME": str(node.dir)}
    if token:
        env["VAULT_TOKEN"] = env["BAO_TOKEN"] = token
    return subprocess.run([bao_binary(), *args], env=env, capture_output=True, text=True, timeout=60)


def test_three_voters_listed_by_bao_and_one_active(cluster3):
    out = bao(cluster3.nodes[1], "operator", "raft", "list-peers", "-format=json", token=cluster3.root_token)
    assert out.returncode == 0, out.stderr
    servers = json.loads(out.stdout)["data"]["config"]["servers"]
    assert sorted(server["node_id"] for server in servers) == ["node1", "node2", "node3"]
    assert all(server["voter"] for server in servers)
    assert sum(1 for server in servers if server["leader"]) == 1
    codes = sorted(node.health() for node in cluster3.nodes)
    assert codes == [200, 429, 429]
    standby = cluster3.standbys()[0]
    status, leader = standby.call("GET", "sys/leader")
    assert status == 200 and leader["ha_enabled"] is True and leader["is_self"] is False
    assert leader["leader_address"] == cluster3.active().addr
    metrics = urllib.request.Request(cluster3.active().addr + "/v1/sys/metrics?format=prometheus",
                                     headers={"X-Vault-Token": cluster3.root_token})
    text = urllib.request.urlopen(metrics, timeout=10).read().decode()
    assert "coffer_raft_is_leader 1" in text and "coffer_raft_term" in text, text[-2000:]
    # Only the active node can be sealed; a standby refuses rather than seal another node.
    status, body = standby.call("PUT", "sys/seal", token=cluster3.root_token)
    assert status == 400 and "standby" in body["errors"][0], body
    assert standby.health() == 429 and cluster3.active() is not None


def normalise(body):
    """A response without the parts that differ by design between two requests (ids, times)."""
    if isinstance(body, dict):
        return {key: normalise(value) for key, value in body.items()
                if key not in ("request_id", "created_time", "updated_time")}
    if isinstance(body, list):
        return [normalise(item) for item in body]
    return body


def test_writes_on_standby_and_active_answer_alike(cluster3):
    token = cluster3.root_token
    active = cluster3.active()
    standby = cluster3.standbys()[0]
    assert active.call("POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}}, token=token)[0] == 204
    answers = []
    for node in (active, standby):
        answers.append(node.call("POST", f"secret/data/{node.name}", {"data": {"v": "1"}}, token=token))
        answers.append(node.call("POST", f"secret/data/{node.name}", {"data": {"v": "2"}, "options": {"cas": 0}},
                                 token=token))
        answers.append(node.call("GET", "secret/data/missing", token=token))
        answers.append(node.call("POST", "sys/policies/acl/bad", {"policy": "path {"}, token=token))
    on_active, on_standby = answers[:4], answers[4:]
    for (code_a, body_a), (code_s, body_s) in zip(on_active, on_standby):
        assert code_a == code_s
        assert normalise(body_a) == normalise(body_s)
    for node in cluster3.nodes:
        status, body = node.call("GET", f"secret/data/{standby.name}", token=token)
        assert status == 200 and body["data"]["data"] == {"v": "1"}

    def digests():
        answers = [node.call("GET", "sys/leader?state_hash=true")[1] for node in cluster3.nodes]
        return {(a["raft_applied_index"], a["raft_state_hash"]) for a in answers}
    # Every node converges on the same applied index and the same store (hash of its ciphertext).
    cluster3.wait(lambda: len(digests()) == 1, 30, "identical stores")
    assert "raft_state_hash" not in cluster3.nodes[0].call("GET", "sys/leader")[1]


def approle_setup(node, token):
    assert node.call("POST", "sys/auth/approle", {"type": "approle"}, token=token)[0] == 204
    assert node.call("POST", "auth/approle/role/app", {"token_policies": ["default"], "secret_id_num_uses": 1},
                     token=token)[0] == 204
    status, body = node.call("GET", "auth/approle/role/app/role-id", token=token)
    assert status == 200
    return body["data"]["role_id"]


def test_approle_wrapped_secret_id_flow_on_every_node(cluster3):
    token = cluster3.root_token
    role_id = approle_setup(cluster3.nodes[0], token)
    for issuer in cluster3.nodes:
        for consumer in cluster3.nodes:
            status, wrapped = issuer.call("POST", "auth/approle/role/app/secret-id", {}, token=token,
                                          headers={"X-Vault-Wrap-TTL": "60s"})
            assert status == 200 and wrapped["wrap_info"]["token"], wrapped
            status, unwrapped = consumer.call("POST", "sys/wrapping/unwrap", {},
                                              token=wrapped["wrap_info"]["token"])
            assert status == 200, unwrapped
            secret_id = unwrapped["data"]["secret_id"]
            status, login = consumer.call("POST", "auth/approle/login", {"role_id": role_id, "secret_id": secret_id})
            assert status == 200 and login["auth"]["client_token"], login
            status, again = consumer.call("POST", "auth/approle/login", {"role_id": role_id, "secret_id": secret_id})
            assert status == 400, again


def test_concurrent_unwraps_across_nodes_spend_once(cluster3):
    token = cluster3.root_token
    status, wrapped = cluster3.nodes[1].call("POST", "sys/wrapping/wrap", {"k": "v"}, token=token,
                                             headers={"X-Vault-Wrap-TTL": "120s"})
    assert status == 200
    wrapping = wrapped["wrap_info"]["token"]
    barrier = threading.Barrier(32)

    def unwrap(index):
        node = cluster3.nodes[index % 3]
        barrier.wait()
        return node.call("POST", "sys/wrapping/unwrap", {}, token=wrapping)

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        results = list(pool.map(unwrap, range(32)))
    successes = [body for status, body in results if status == 200]
    assert len(successes) == 1, results
    assert successes[0]["data"] == {"k": "v"}
    assert all(status in (400, 403) for status, _ in results if status != 200), results


class Writer:
    """Writes distinct keys in a loop through the given nodes; remembers every acknowledged write."""

    def __init__(self, cluster, nodes):
        self.cluster = cluster
        self.nodes = nodes
        self.acknowledged = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.counter = 0

    def run(self):
        while not self.stop.is_set():
            self.counter += 1
            key = f"w{self.counter}"
            node = self.nodes[self.counter % len(self.nodes)]
            if not node.alive:
                continue
            sent = time.monotonic()
            try:
                status, _ = node.call("POST", f"secret/data/{key}", {"data": {"n": self.counter}},
                                      token=self.cluster.root_token, timeout=5)
            except OSError:
                status = None
            if status == 200:
                self.acknowledged.append((key, self.counter, sent, time.monotonic()))
            else:
                time.sleep(0.01)

    def first_ack_after(self, instant):
        """When the first write sent after `instant` was acknowledged (replies already on their way from
        the old leader do not count)."""
        return min((at for _, _, sent, at in self.acknowledged if sent > instant), default=None)


def kill_active_under_load(cluster, victims):
    """SIGKILLs the active node and `victims - 1` standbys under a steady writer; returns the seconds from
    the kill to the first acknowledged write through a surviving node."""
    token = cluster.root_token
    active = cluster.active()
    assert active.call("POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}}, token=token)[0] \
        in (204, 400)
    others = [node for node in cluster.nodes if node is not active]
    doomed = [active] + others[:victims - 1]
    survivors = [node for node in cluster.nodes if node not in doomed]
    writer = Writer(cluster, survivors)
    writer.thread.start()
    cluster.wait(lambda: len(writer.acknowledged) >= 20, 30, "writes before the kill")
    killed_at = time.monotonic()
    for node in doomed:
        node.kill(signal.SIGKILL)
    cluster.wait(lambda: writer.first_ack_after(killed_at) is not None, 60, "a write after the kill")
    failover = writer.first_ack_after(killed_at) - killed_at
    cluster.wait(lambda: len([a for a in writer.acknowledged if a[2] > killed_at]) >= 20, 30, "writes after")
    cluster.wait(lambda: cluster.active() is not None, 30, "an active node")
    writer.stop.set()
    writer.thread.join()
    for node in survivors:
        for key, value, _, _ in writer.acknowledged:
            status, body = node.call("GET", f"secret/data/{key}", token=token)
            assert status == 200 and body["data"]["data"] == {"n": value}, (node.name, key, status, body)
    return failover


def test_kill_active_three_nodes_loses_no_acknowledged_write(cluster3):
    failover = kill_active_under_load(cluster3, victims=1)
    print(f"failover (kill -9 of the active node to first acknowledged write): {failover:.3f}s")
    assert cluster3.active() is not None


def test_five_nodes_survive_losing_two():
    cluster = Cluster(5).start()
    try:
        failover = kill_active_under_load(cluster, victims=2)
        print(f"failover with two of five nodes killed: {failover:.3f}s")
    finally:
        cluster.cleanup()


def test_no_quorum_answers_503_not_stale(cluster3):
    token = cluster3.root_token
    assert cluster3.active().call("POST", "sys/mounts/kv", {"type": "kv"}, token=token)[0] == 204
    survivor = cluster3.nodes[2]
    for node in cluster3.nodes[:2]:
        node.kill(signal.SIGKILL)
    time.sleep(3)
    status, body = survivor.call("GET", "kv/anything", token=token, timeout=40)
    assert status == 503, (status, body)
    assert body["errors"], body


def test_restarted_node_is_sealed_then_catches_up(cluster3):
    token = cluster3.root_token
    active = cluster3.active()
    active.call("POST", "sys/mounts/kv", {"type": "kv"}, token=token)
    victim = cluster3.standbys()[0]
    victim.kill(signal.SIGTERM)
    for index in range(30):
        assert active.call("POST", f"kv/k{index}", {"v": index}, token=token)[0] == 204
    victim.start()
    assert victim.call("GET", "sys/seal-status")[1]["sealed"] is True
    assert victim.health() == 503
    victim.unseal(cluster3.keys[:3])
    cluster3.wait(lambda: victim.health() == 429, 30, "the restarted node to serve as standby")
    for index in range(30):
        status, body = victim.call("GET", f"kv/k{index}", token=token)
        assert status == 200 and body["data"] == {"v": index}


def test_wiped_node_rejoins_through_snapshot(cluster3):
    token = cluster3.root_token
    active = cluster3.active()
    active.call("POST", "sys/mounts/kv", {"type": "kv"}, token=token)
    for index in range(20):
        active.call("POST", f"kv/before{index}", {"v": index}, token=token)
    victim = cluster3.standbys()[0]
    victim.kill(signal.SIGKILL)
    victim.wipe()
    victim.start()
    cluster3.wait(lambda: victim.call("GET", "sys/seal-status")[1]["initialized"], 60, "the wiped node's challenge")
    body = victim.unseal(cluster3.keys[:3])
    assert body["sealed"] is False
    cluster3.wait(lambda: victim.health() == 429, 30, "the wiped node to serve")
    cluster3.wait(lambda: cluster3.voter_count() == 3, 60, "the wiped node to be a voter again")
    status, body = victim.call("GET", "kv/before7", token=token)
    assert status == 200 and body["data"] == {"v": 7}


def test_node_with_other_keys_cannot_join(cluster3):
    other = Cluster(1).start()
    try:
        stranger = Cluster(1)
        node = stranger.nodes[0]
        node.name = "stranger"
        node.write_config([node, cluster3.nodes[0]])
        node.start()
        try:
            cluster3.wait(lambda: node.call("GET", "sys/seal-status")[1]["initialized"], 60, "challenge")
            body = None
            for key in other.keys[:3]:
                status, body = node.call("PUT", "sys/unseal", {"key": key})
            assert status == 400, body
            assert node.call("GET", "sys/seal-status")[1]["sealed"] is True
            servers = cluster3.active().call("GET", "sys/storage/raft/configuration",
                                             token=cluster3.root_token)[1]["data"]["config"]["servers"]
            assert len(servers) == 3
        finally:
            stranger.cleanup()
    finally:
        other.cleanup()


def coffer_cli(node, *args, token=None):
    from cluster import coffer_binary
    env = {"VAULT_ADDR": node.addr, "PATH": "/usr/bin:/bin", "HOME": str(node.dir)}
    if token:
        env["VAULT_TOKEN"] = token
    return subprocess.run([coffer_binary(), *args], env=env, capture_output=True, text=True, timeout=60)


def test_operator_step_down_autopilot_ha_status_and_remove_peer(cluster3):
    token = cluster3.root_token
    old = cluster3.active()
    standby = cluster3.standbys()[0]
    out = coffer_cli(standby, "operator", "raft", "autopilot", "state", "-format=json", token=token)
    assert out.returncode == 0, out.stderr
    state = json.loads(out.stdout)["data"]
    assert state["healthy"] is True and sorted(state["voters"]) == ["node1", "node2", "node3"]
    assert state["failure_tolerance"] == 1 and state["leader"] == old.name
    status, ha = standby.call("GET", "sys/ha-status", token=token)
    assert status == 200 and sorted(n["hostname"] for n in ha["data"]["nodes"]) == ["node1", "node2", "node3"]
    assert [n["hostname"] for n in ha["data"]["nodes"] if n["active_node"]] == [old.name]
    # bao's step-down sent to a standby is forwarded to the active node, which hands leadership on.
    out = bao(standby, "operator", "step-down", token=token)
    assert out.returncode == 0, out.stderr
    cluster3.wait(lambda: (cluster3.active() or old) is not old, 30, "a new active node")
    out = coffer_cli(standby, "operator", "raft", "autopilot", "set-config", "-server-stabilization-time=5s",
                     token=token)
    assert out.returncode == 0, out.stderr
    status, config = standby.call("GET", "sys/storage/raft/autopilot/configuration", token=token)
    assert status == 200 and config["data"]["server_stabilization_time"] == "5s"
    victim = cluster3.standbys()[0]
    out = coffer_cli(cluster3.active(), "operator", "raft", "remove-peer", victim.name, token=token)
    assert out.returncode == 0, out.stderr
    out = coffer_cli(cluster3.active(), "operator", "raft", "list-peers", token=token)
    assert out.returncode == 0 and victim.name not in out.stdout and out.stdout.count("true") == 2, out.stdout


def cluster_ca_name(node):
    """The issuer of the certificate `node` presents on its cluster port (the cluster CA's name)."""
    out = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{node.cluster_port}", "-showcerts"],
                         input="", capture_output=True, text=True, timeout=20)
    for line in out.stdout.splitlines():
        if "i:" in line and "Coffer cluster CA" in line:
            return line.split("Coffer cluster CA", 1)[1].strip()
    raise AssertionError(out.stdout[-2000:] + out.stderr[-2000:])


def test_cluster_ca_rotation_keeps_the_cluster_talking(cluster3):
    token = cluster3.root_token
    before = {node.name: cluster_ca_name(node) for node in cluster3.nodes}
    assert len(set(before.values())) == 1
    status, body = cluster3.standbys()[0].call("POST", "sys/storage/raft/tls/rotate", {}, token=token)
    assert status == 204, body
    cluster3.wait(lambda: all(cluster_ca_name(node) != before[node.name] for node in cluster3.nodes), 30,
                  "every node to present a certificate from the new CA")
    # A restarted node connects afresh with a new-CA certificate; writes through it still reach the leader.
    victim = cluster3.standbys()[0]
    victim.kill(signal.SIGTERM)
    victim.start()
    victim.unseal(cluster3.keys[:3])
    cluster3.wait(lambda: victim.health() == 429, 30, "the restarted node")
    assert victim.call("POST", "sys/mounts/kv", {"type": "kv"}, token=token)[0] == 204
    cluster3.wait(lambda: victim.call("POST", "kv/after-rotation", {"v": 1}, token=token)[0] == 204, 30,
                  "a write through the restarted node")
    for node in cluster3.nodes:
        assert node.call("GET", "kv/after-rotation", token=token)[1]["data"] == {"v": 1}


def test_operator_raft_join_by_hand_with_coffer_and_bao_clis(cluster3):
    """A fourth and fifth node without retry_join join when told to, one through each CLI."""
    extra = Cluster(2)
    try:
        for node, cli in zip(extra.nodes, (coffer_cli, bao)):
            node.name = f"hand{node.index}"
            node.write_config([node])
            node.start()
            assert node.call("GET", "sys/seal-status")[1]["initialized"] is False
            out = cli(node, "operator", "raft", "join", cluster3.active().addr)
            assert out.returncode == 0, out.stdout + out.stderr
            status, body = node.call("GET", "sys/seal-status")
            assert body["initialized"] is True and body["sealed"] is True and body["t"] == 3, body
            node.unseal(cluster3.keys[:3])
            cluster3.wait(lambda: node.health() == 429, 60, f"{node.name} to serve as standby")
        names = {server["node_id"] for server in cluster3.active().call(
            "GET", "sys/storage/raft/configuration", token=cluster3.root_token)[1]["data"]["config"]["servers"]}
        assert {"hand1", "hand2"} <= names
        status, body = extra.nodes[1].call("GET", "sys/mounts", token=cluster3.root_token)
        assert status == 200 and "sys/" in body["data"]
    finally:
        extra.cleanup()
