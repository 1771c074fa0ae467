"""A local N-node Coffer (or OpenBao) cluster for tests: real processes on 127.0.0.1, ports picked at
run time, each node in its own temporary directory, every process stopped by the PID started here."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "interop"))
from servers import bao_binary, coffer_binary, free_port  # noqa: E402

CONFIG = """storage "raft" {{
  path    = "{data}"
  node_id = "{name}"
{joins}}}
listener "tcp" {{
  address         = "127.0.0.1:{port}"
  cluster_address = "127.0.0.1:{cluster_port}"
  tls_disable     = true
}}
api_addr      = "http://127.0.0.1:{port}"
cluster_addr  = "https://127.0.0.1:{cluster_port}"
disable_mlock = true
log_level     = "debug"
{extra}"""


def request(addr, method, path, body=None, token=None, headers=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{addr}/v1/{path}", data=data, method=method)
    if token:
        req.add_header("X-Vault-Token", token)
    for key, value in (headers or {}).items():
        req.add_header(key, value)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            text = response.read().decode()
            return response.status, (json.loads(text) if text.strip() else None)
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        try:
            return error.code, (json.loads(text) if text.strip() else None)
        except json.JSONDecodeError:
            return error.code, text


class Node:
    def __init__(self, cluster, index):
        self.cluster = cluster
        self.index = index
        self.name = f"node{index}"
        self.dir = cluster.dir / self.name
        self.data = self.dir / "data"
        self.port = free_port()
        self.cluster_port = free_port()
        self.addr = f"http://127.0.0.1:{self.port}"
        self.process = None
        self.log = self.dir / "server.log"
        self.env = {}

    def write_config(self, peers):
        joins = "".join(f'  retry_join {{\n    leader_api_addr = "{peer.addr}"\n  }}\n'
                        for peer in peers if peer is not self)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.data.mkdir(parents=True, exist_ok=True)
        (self.dir / "config.hcl").write_text(CONFIG.format(
            data=self.data, name=self.name, joins=joins, port=self.port, cluster_port=self.cluster_port,
            extra=self.cluster.extra_config))

    def start(self):
        binary = coffer_binary() if self.cluster.kind == "coffer" else bao_binary()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
        env.update(self.env)
        handle = open(self.log, "ab")
        self.process = subprocess.Popen([binary, "server", f"-config={self.dir / 'config.hcl'}"],
                                        stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=self.dir)
        handle.close()
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-3000:]}")
            try:
                self.call("GET", "sys/seal-status", timeout=1)
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start")

    @property
    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill(self, sig=signal.SIGKILL):
        if self.alive:
            os.kill(self.process.pid, sig)
            if sig in (signal.SIGKILL, signal.SIGTERM):
                try:
                    self.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.kill(self.process.pid, signal.SIGKILL)
                    self.process.wait()
        if sig in (signal.SIGKILL, signal.SIGTERM):
            self.process = None

    def wipe(self):
        shutil.rmtree(self.data, ignore_errors=True)
        self.data.mkdir(parents=True)

    def call(self, method, path, body=None, token=None, headers=None, timeout=30):
        return request(self.addr, method, path, body, token, headers, timeout)

    def health(self):
        try:
            return self.call("GET", "sys/health", timeout=2)[0]
        except OSError:
            return None

    def unseal(self, keys):
        body = None
        for key in keys:
            status, body = self.call("PUT", "sys/unseal", {"key": key})
            assert status == 200, (status, body)
        return body


class Cluster:
    """`kind` is "coffer" or "bao". Nodes 2..N join node 1 through retry_join."""

    def __init__(self, size=3, kind="coffer", env=None, extra_config=""):
        """`extra_config`: lines appended to every node's config file."""
        self.kind = kind
        self.extra_config = extra_config
        self.dir = Path(tempfile.mkdtemp(prefix=f"{kind}-cluster-"))
        self.nodes = [Node(self, index) for index in range(1, size + 1)]
        for node in self.nodes:
            node.env = dict(env or {})
            node.write_config(self.nodes)
        self.keys = []
        self.root_token = None

    def start(self, shares=5, threshold=3, wait_voters=True):
        """Starts, initialises and unseals every node; on any failure stops them all and re-raises."""
        try:
            return self._start(shares, threshold, wait_voters)
        except BaseException:
            self.cleanup()
            raise

    def _start(self, shares, threshold, wait_voters):
        for node in self.nodes:
            node.start()
        first = self.nodes[0]
        status, body = first.call("PUT", "sys/init", {"secret_shares": shares, "secret_threshold": threshold})
        assert status == 200, body
        self.keys = body["keys_base64"]
        self.root_token = body["root_token"]
        self.threshold = threshold
        first.unseal(self.keys[:threshold])
        self.wait(lambda: first.health() == 200, 30, "node1 active")
        for node in self.nodes[1:]:
            self.wait(lambda: node.call("GET", "sys/seal-status")[1]["initialized"], 60, f"{node.name} joining")
            body = node.unseal(self.keys[:threshold])
            assert body["sealed"] is False, body
        if wait_voters:
            self.wait(lambda: self.voter_count() == len(self.nodes), 90, "all voters")
        return self

    def voter_count(self):
        node = self.active() or self.nodes[0]
        status, body = node.call("GET", "sys/storage/raft/configuration", token=self.root_token)
        if status != 200:
            return 0
        return sum(1 for server in body["data"]["config"]["servers"] if server["voter"])

    def active(self):
        for node in self.nodes:
            if node.alive and node.health() == 200:
                return node
        return None

    def standbys(self):
        return [node for node in self.nodes if node.alive and node.health() == 429]

    @staticmethod
    def wait(predicate, seconds, what):
        deadline = time.time() + seconds
        last_error = None
        while time.time() < deadline:
            try:
                if predicate():
                    return
            except (OSError, KeyError, TypeError) as error:
                last_error = error
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what} ({last_error})")

    def stop(self):
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                try:
                    os.kill(node.process.pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass
            node.kill(signal.SIGTERM)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
