"""Checkers over a recorded history. Each returns a verdict dict with "valid" True, False or "unknown".

- linearizable: each register key, by coffer-lincheck (the Raft simulator's Wing-Gong search).
- no lost writes: every acknowledged set addition is in the final read of the set.
- single use: a wrapping token unwraps at most once, to the payload it wrapped; a secret_id with num_uses N
  logs in at most N times.
- converged: after the heal, every node reports the same applied state."""

import collections
import json
import subprocess

from .history import pair

WRITE_FUNCTIONS = ("write", "cas", "add")


def linearizable(history_path, lincheck, step_budget=5_000_000, timeout=900):
    try:
        out = subprocess.run([lincheck, "--step-budget", str(step_budget), str(history_path)],
                             capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"valid": "unknown", "error": f"coffer-lincheck ran past {timeout} s"}
    if out.returncode not in (0, 1, 2):
        return {"valid": "unknown", "error": out.stderr.strip()[-500:]}
    return json.loads(out.stdout)


def lost_writes(events, final_elements):
    """final_elements: the set read after the heal, or None when it could not be read."""
    acknowledged, attempted = set(), set()
    for invocation, completion in pair(events):
        if invocation["f"] != "add":
            continue
        attempted.add(invocation["key"])
        if completion is not None and completion["type"] == "ok":
            acknowledged.add(invocation["key"])
    if final_elements is None:
        return {"valid": "unknown", "error": "the final set read failed", "acknowledged": len(acknowledged)}
    final = set(final_elements)
    lost = sorted(acknowledged - final)
    unexpected = sorted(final - attempted)
    return {
        "valid": not lost and not unexpected,
        "acknowledged": len(acknowledged),
        "attempted": len(attempted),
        "final": len(final),
        "recovered_indeterminate": len((final & attempted) - acknowledged),
        "lost": lost[:50],
        "lost_count": len(lost),
        "unexpected": unexpected[:50],
    }


def single_use(events, secret_id_uses):
    unwraps, logins, wrapped = collections.Counter(), collections.Counter(), {}
    wrong_payload = []
    for invocation, completion in pair(events):
        ok = completion is not None and completion["type"] == "ok"
        if invocation["f"] == "wrap" and ok:
            wrapped[completion["value"]] = invocation["value"]
        elif invocation["f"] == "unwrap" and ok:
            unwraps[invocation["key"]] += 1
        elif invocation["f"] == "login" and ok:
            logins[invocation["key"]] += 1
    for invocation, completion in pair(events):
        if invocation["f"] == "unwrap" and completion is not None and completion["type"] == "ok":
            if wrapped.get(invocation["key"]) != completion["value"]:
                wrong_payload.append(invocation["key"])
    twice = sorted(token for token, count in unwraps.items() if count > 1)
    overused = sorted(sid for sid, count in logins.items() if count > secret_id_uses)
    return {
        "valid": not twice and not overused and not wrong_payload,
        "wrapping_tokens": len(wrapped),
        "unwrapped": len(unwraps),
        "unwrapped_more_than_once": twice[:50],
        "unwrap_wrong_payload": wrong_payload[:50],
        "secret_ids_used": len(logins),
        "secret_id_uses_allowed": secret_id_uses,
        "secret_ids_over_num_uses": overused[:50],
        "max_logins_per_secret_id": max(logins.values(), default=0),
    }


def converged(states, contents):
    """states: node -> applied state (None when it did not answer); contents: node -> what it serves for the
    register keys and the set when asked directly (or None)."""
    answered = {node: state for node, state in states.items() if state is not None}
    applied = {node: (s.get("raft_applied_index"), s.get("raft_state_hash")) for node, s in answered.items()}
    same_state = len(answered) == len(states) and len(set(applied.values())) == 1
    served = {node: json.dumps(c, sort_keys=True) for node, c in contents.items() if c is not None}
    same_content = len(served) == len(contents) and len(set(served.values())) == 1
    hashed = bool(answered) and all(s.get("raft_state_hash") for s in answered.values())
    indexed = bool(answered) and all(s.get("raft_applied_index") is not None for s in answered.values())
    if hashed:
        compared = "store hash and applied index, and the values each node serves"
    elif indexed:
        compared = "applied index (no store hash exposed), and the values each node serves"
    else:
        compared = "only the values each node serves (the server reports no applied index or store hash)"
    return {
        "valid": same_state and same_content,
        "applied": applied,
        "compared": compared,
        "content_identical": same_content,
        "content_nodes": sorted(served),
    }


def failover_times(events, nemesis_records):
    """Per fault: seconds from its start to the first acknowledged write invoked after it."""
    writes = sorted((inv["time"], comp["time"]) for inv, comp in pair(events)
                    if inv["f"] in WRITE_FUNCTIONS and comp is not None and comp["type"] == "ok")
    results = []
    for record in nemesis_records:
        start = record["start_ns"]
        after = [done for invoked, done in writes if invoked >= start]
        results.append({"faults": "+".join(record["faults"]),
                        "seconds": round((min(after) - start) / 1e9, 3) if after else None})
    return results


def counts(events):
    table = collections.defaultdict(collections.Counter)
    for invocation, completion in pair(events):
        table[invocation["f"]][completion["type"] if completion else "open"] += 1
    return {f: dict(c) for f, c in sorted(table.items())}
