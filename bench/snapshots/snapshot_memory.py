#!/usr/bin/env python3
"""Snapshot save/restore sizes, times and the active node's peak memory on a 3-node cluster.

    COFFER_BIN=.build/release/coffer python3 bench/snapshots/snapshot_memory.py [SECRETS] [VALUE_BYTES]

Prints the archive size, save and restore times, and the active node's peak anonymous RSS (heap; LMDB's
file-backed map excluded) during the save and during a same-cluster restore. Every process is stopped by its PID on exit."""

import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "cluster"))
from cluster import Cluster, coffer_binary  # noqa: E402
from test_snapshots import cli, fill  # noqa: E402


def status_mib(node, field):
    for line in Path(f"/proc/{node.process.pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


class AnonSampler:
    """The largest anonymous RSS (heap, not LMDB's file-backed map) seen while the block runs, at 50 Hz."""

    def __init__(self, node):
        self.node, self.peak, self.stop = node, 0.0, threading.Event()

    def __enter__(self):
        self.thread = threading.Thread(target=self.run)
        self.thread.start()
        return self

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, status_mib(self.node, "RssAnon"))
            time.sleep(0.02)

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def main():
    secrets = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    value_bytes = int(sys.argv[2]) if len(sys.argv) > 2 else 4096
    cluster = Cluster(3).start()
    try:
        token = cluster.root_token
        active = cluster.active()
        assert active.call("POST", "sys/mounts/kv", {"type": "kv"}, token=token)[0] == 204
        started = time.time()
        fill(active, token, secrets, value="v" * value_bytes)
        print(f"wrote {secrets} secrets of {value_bytes} B in {time.time() - started:.1f}s")
        baseline = status_mib(active, "RssAnon")
        archive = cluster.dir / "bench.snap"
        started = time.time()
        with AnonSampler(active) as during_save:
            out = cli(coffer_binary(), active, "operator", "raft", "snapshot", "save", str(archive), token=token)
        assert out.returncode == 0, out.stderr
        saved = time.time() - started
        started = time.time()
        with AnonSampler(active) as during_restore:
            out = cli(coffer_binary(), active, "operator", "raft", "snapshot", "restore", str(archive),
                      token=token)
        assert out.returncode == 0, out.stderr
        restored = time.time() - started
        size = archive.stat().st_size / 1048576
        print(f"archive {size:.1f} MiB; save {saved:.1f}s; restore {restored:.1f}s")
        print(f"active node anonymous RSS: {baseline:.0f} MiB before; peak {during_save.peak:.0f} MiB during "
              f"save, {during_restore.peak:.0f} MiB during restore; {status_mib(active, 'RssAnon'):.0f} MiB after")
    finally:
        cluster.cleanup()


if __name__ == "__main__":
    main()
