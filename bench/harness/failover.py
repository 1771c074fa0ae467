"""Failover under a steady writer, and snapshot save/restore timing.

Failover trial: one sequential writer sends kv-v2 writes (each with a fresh key) to the
live nodes in turn, starting with the active one. The active node is SIGKILLed; the
time from the kill to the first write *sent after the kill* that is acknowledged (2xx)
is the failover time. The killed node is restarted and unsealed with the same shares,
and the trial ends when the cluster has one active node and every other node is an
unsealed standby. After all trials every acknowledged write is read back through every
node, and through each node while it is the active one when step-down lets us get there."""

import threading
import time

from .http import Session, HTTPDown
from .provision import value_for


class SteadyWriter(threading.Thread):
    """Sequential writer; records (key, value, ack_time) of every acknowledged write."""

    def __init__(self, cluster, token, prefix, max_seconds):
        super().__init__(daemon=True)
        self.cluster = cluster
        self.token = token
        self.prefix = prefix
        self.deadline = time.time() + max_seconds
        self.acked = []           # (key, value, ack time)
        self.failed = 0
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.seq = 0

    def run(self):
        sessions = {}
        target = 0
        try:
            while not self.stop_flag.is_set() and time.time() < self.deadline:
                live = [n for n in self.cluster.nodes if n.alive()]
                if not live:
                    time.sleep(0.01)
                    continue
                node = live[target % len(live)]
                session = sessions.setdefault(node.index, Session(node.addr, timeout=2))
                self.seq += 1
                key = f"{self.prefix}/w{self.seq}"
                value = value_for(self.seq)
                sent = time.time()
                try:
                    status, _ = session.request("POST", f"secret/data/{key}", {"data": {"value": value}},
                                                token=self.token, timeout=2)
                except HTTPDown:
                    status = None
                if status == 200:
                    with self.lock:
                        self.acked.append((key, value, sent, time.time()))
                else:
                    self.failed += 1
                    target += 1          # try the next live node
                    time.sleep(0.005)
        finally:
            for s in sessions.values():
                s.close()

    def first_ack_sent_after(self, t):
        with self.lock:
            for key, value, sent, acked in self.acked:
                if sent >= t:
                    return acked
        return None


def failover_trials(cluster, token, trials, per_trial_timeout=60):
    results = []
    writer = SteadyWriter(cluster, token, "bench/failover", max_seconds=trials * (per_trial_timeout + 90))
    writer.start()
    try:
        for trial in range(trials):
            # Let the writer settle on the current leader.
            time.sleep(1.0)
            victim = cluster.active()
            t_kill = time.time()
            victim.kill()
            deadline = t_kill + per_trial_timeout
            acked_at = None
            while time.time() < deadline:
                acked_at = writer.first_ack_sent_after(t_kill)
                if acked_at is not None:
                    break
                time.sleep(0.005)
            trial_result = {"trial": trial + 1, "killed": f"node{victim.index}",
                            "failover_s": (acked_at - t_kill) if acked_at else None}
            results.append(trial_result)
            # Bring the victim back: restart with its data, unseal with the same shares.
            t_start = time.time()
            victim.start()
            restart_deadline = time.time() + 120
            victim.wait_listening(restart_deadline)
            victim.unseal(cluster.keys[:3], restart_deadline)
            trial_result["restart_to_unsealed_s"] = time.time() - t_start
            cluster.wait_formed(restart_deadline)
            trial_result["restart_to_standby_s"] = time.time() - t_start
    finally:
        writer.stop_flag.set()
        writer.join(timeout=10)
    verified = verify_everywhere(cluster, token, writer.acked)
    return {"trials": results, "acked_writes": len(writer.acked), "failed_attempts": writer.failed, **verified}


def verify_everywhere(cluster, token, acked):
    """Reads every acknowledged write back through every node's API, then makes each node
    the active one in turn (graceful restart of the active node, bounded tries) and reads
    them again there, so every node's own state machine answers once."""
    report = {f"node{n.index}": read_converged(n, token, acked) for n in cluster.nodes}
    verified_as_active = set()
    for _ in range(3 * len(cluster.nodes)):
        cluster.wait_formed(time.time() + 120)
        active = cluster.active()
        if active.index not in verified_as_active:
            merge(report[f"node{active.index}"], read_converged(active, token, acked))
            verified_as_active.add(active.index)
        if len(verified_as_active) == len(cluster.nodes) or len(cluster.nodes) == 1:
            break
        # Leadership moves only with the raft leader: restart the active node.
        active.stop()
        active.start()
        deadline = time.time() + 120
        active.wait_listening(deadline)
        active.unseal(cluster.keys[:3], deadline)
    cluster.wait_formed(time.time() + 120)
    missing = {node: r["missing"] for node, r in report.items()}
    stale = {node: r["stale_first"] for node, r in report.items()}
    unreadable = {node: r["unreadable"] for node, r in report.items()}
    return {"missing_acked_writes": missing, "unreadable_acked_writes": unreadable,
            "absent_at_first_read": stale,
            "read_statuses": {node: r["statuses"] for node, r in report.items()},
            "verified_while_active": sorted(f"node{i}" for i in verified_as_active)}


def read_converged(node, token, acked, settle_s=30):
    """Reads every write; a node may answer from a state that is still catching up (a
    standby that serves reads itself), so writes absent at first are read again until
    `settle_s` has passed. Only what is still absent then counts as missing."""
    first = read_all(node, token, acked)
    result = dict(first, stale_first=first["missing"])
    pending = first["absent"]
    deadline = time.time() + settle_s
    while pending and time.time() < deadline:
        time.sleep(0.5)
        pending = read_all(node, token, pending)["absent"]
    result["missing"] = len(pending)
    return result


def merge(into, other):
    into["stale_first"] += other["stale_first"]
    for field in ("missing", "unreadable"):
        into[field] += other[field]
    into["statuses"].update(other["statuses"])


def read_all(node, token, acked, attempts=5):
    """Missing: the node answered, and the value is absent or different. Unreadable: no
    answer with a body after `attempts` tries (errors, 5xx)."""
    session = Session(node.addr, timeout=10)
    missing = unreadable = 0
    absent = []
    statuses = {}
    try:
        for entry in acked:
            key, value = entry[0], entry[1]
            status = None
            for attempt in range(attempts):
                try:
                    status, body = session.request("GET", f"secret/data/{key}", token=token)
                except HTTPDown:
                    status, body = None, None
                if status in (200, 404):
                    break
                time.sleep(0.2 * (attempt + 1))
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if status == 200:
                got = ((body or {}).get("data") or {}).get("data", {}).get("value") if isinstance(body, dict) else None
                if got != value:
                    missing += 1
                    absent.append(entry)
            elif status == 404:
                missing += 1
                absent.append(entry)
            else:
                unreadable += 1
    finally:
        session.close()
    return {"missing": missing, "unreadable": unreadable, "statuses": statuses, "absent": absent}


def snapshot_cycle(cluster, path, creds):
    """Saves a raft snapshot through the active node, then restores it. Returns n/a fields
    when the server has no such endpoint (404/405), never an invented number."""
    node = cluster.active()
    session = Session(node.addr, timeout=300)
    try:
        t0 = time.time()
        try:
            status, body = _raw_get(node, "sys/storage/raft/snapshot", cluster.root_token)
        except HTTPDown as error:
            return {"available": False, "reason": f"save failed: {error}"}
        save_s = time.time() - t0
        if status in (404, 405, 501):
            return {"available": False, "reason": f"GET sys/storage/raft/snapshot answered {status}"}
        if status != 200:
            return {"available": False, "reason": f"save answered {status}"}
        path.write_bytes(body)
        t1 = time.time()
        status, answer = session.request("POST", "sys/storage/raft/snapshot", raw=body, token=cluster.root_token,
                                         timeout=300)
        restore_s = time.time() - t1
        result = {"available": True, "save_s": save_s, "size_bytes": len(body)}
        if status in (200, 204):
            result["restore_s"] = restore_s
            cluster.wait_formed(time.time() + 120)
            # Restored means the data answers again: time until two probe keys read back,
            # then (untimed) every preloaded key is checked.
            last = creds["secrets"] - 1
            probes = [(f"bench/k{i}", value_for(i), None, None) for i in (0, last)]
            deadline = time.time() + 120
            while True:
                check = read_all(cluster.active(), creds["app_token"], probes, attempts=1)
                if check["missing"] == 0 and check["unreadable"] == 0:
                    result["restore_to_readable_s"] = time.time() - t1
                    break
                if time.time() > deadline:
                    result["restore_error"] = f"probe keys not readable 120 s after restore: {check}"
                    break
                time.sleep(0.05)
            everything = [(f"bench/k{i}", value_for(i), None, None) for i in range(creds["secrets"])]
            check = read_all(cluster.active(), creds["app_token"], everything)
            if check["missing"] or check["unreadable"]:
                result["restore_error"] = f"after restore, preloaded keys missing or unreadable: {check}"
        else:
            result["restore_s"] = None
            result["restore_error"] = f"restore answered {status}"
        return result
    finally:
        session.close()


def _raw_get(node, path, token):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=300)
    try:
        conn.request("GET", "/v1/" + path, headers={"X-Vault-Token": token})
        response = conn.getresponse()
        return response.status, response.read()
    except OSError as error:
        raise HTTPDown(str(error)) from error
    finally:
        conn.close()
