"""The run's history: Jepsen-shaped events, one JSON object a line.

Every client operation is an `invoke` followed by exactly one completion of the same process: `ok` (took
effect), `fail` (certainly did not) or `info` (unknown: it may take effect at any time, or never). After an
`info` the client continues as a new process, as in Jepsen, so a process never has two operations open.
Nemesis events are `info` events of process "nemesis". Times are nanoseconds since the run began on one
monotonic clock. Secrets (secret_ids, tokens) never appear: they are named by a short SHA-256 prefix."""

import hashlib
import json
import threading
import time


def fingerprint(secret):
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


class History:
    def __init__(self, path):
        self._lock = threading.Lock()
        self._events = []
        self._file = open(path, "w")
        self.start = time.monotonic_ns()

    def now(self):
        return time.monotonic_ns() - self.start

    def append(self, **event):
        with self._lock:
            event["index"] = len(self._events)
            event.setdefault("time", self.now())
            self._events.append(event)
            self._file.write(json.dumps(event, sort_keys=True) + "\n")
        return event

    def invoke(self, process, f, node, key=None, value=None):
        return self.append(type="invoke", process=process, f=f, node=node, key=key, value=value)

    def complete(self, invocation, type_, value=None, error=None):
        event = dict(type=type_, process=invocation["process"], f=invocation["f"], node=invocation["node"],
                     key=invocation["key"], value=value if value is not None else invocation["value"])
        if error:
            event["error"] = error
        return self.append(**event)

    def nemesis(self, f, value):
        return self.append(type="info", process="nemesis", f=f, value=value)

    def events(self):
        with self._lock:
            return list(self._events)

    def close(self):
        with self._lock:
            self._file.close()


def read_history(path):
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def pair(events):
    """(invoke, completion) pairs for client operations; an invocation never completed pairs with None."""
    open_ops, pairs = {}, []
    for event in events:
        if event.get("process") == "nemesis":
            continue
        if event["type"] == "invoke":
            open_ops[event["process"]] = event
        else:
            invocation = open_ops.pop(event["process"], None)
            if invocation is not None:
                pairs.append((invocation, event))
    pairs.extend((invocation, None) for invocation in open_ops.values())
    return pairs


def malformed(events):
    """Events that break the one-open-operation-per-process rule (a harness bug, not a server's)."""
    open_ops, problems = {}, []
    for event in events:
        if event.get("process") in ("nemesis", "final"):
            continue
        if event["type"] == "invoke":
            if event["process"] in open_ops:
                problems.append(f"process {event['process']} invoked at index {event['index']} with "
                                f"index {open_ops[event['process']]['index']} open")
            open_ops[event["process"]] = event
        elif open_ops.pop(event["process"], None) is None:
            problems.append(f"{event['type']} at index {event['index']} completes nothing")
    return problems
