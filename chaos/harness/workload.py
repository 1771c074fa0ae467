"""Concurrent clients against every node: KV v2 registers (read, write, compare-and-set on a few keys so
they contend), a set of unique keys (for lost writes), AppRole logins with num_uses-limited secret_ids,
and wrap/unwrap of response-wrapping tokens, each unwrapped by several clients at once.

Outcomes: 2xx is ok; a refused connection (never sent) and a definite 4xx refusal are fail; anything else
on an operation that changes state (5xx, timeout, reset) is info, because the server may have applied it.
Reads and other operations without effect are fail on any error."""

import itertools
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from . import vault
from .history import fingerprint

KV_MOUNT = "secret"
ROLE = "chaos"
SECRET_ID_USES = 2
LOGINS_PER_SECRET_ID = 4
UNWRAPS_PER_TOKEN = 3


# Errors that say the request was refused before anything was applied: a sealed node, or a standby that
# knows no active node to forward to. Any other 5xx may come after the write reached the log.
DEFINITE_ERRORS = (
    "Vault is sealed",
    "local node not active but active cluster node not found",
)


def classify(outcome, changes_state):
    if outcome.status is not None and 200 <= outcome.status < 300:
        return "ok"
    if not outcome.sent:
        return "fail"
    if outcome.status in (500, 503) and any(message in outcome.errors for message in DEFINITE_ERRORS):
        return "fail"
    if outcome.status is not None and 400 <= outcome.status < 500 and outcome.status != 429:
        return "fail"
    return "info" if changes_state else "fail"


def describe(outcome):
    if outcome.status is None:
        return outcome.error
    return f"{outcome.status} {outcome.errors}"[:160]


def setup(cluster):
    """Mounts and roles the workload needs, created through the active node before the clock starts."""
    leader = cluster.wait_leader(30)
    steps = [
        ("POST", f"sys/mounts/{KV_MOUNT}", {"type": "kv", "options": {"version": "2"}}),
        ("POST", "sys/auth/approle", {"type": "approle"}),
        ("POST", f"auth/approle/role/{ROLE}", {"secret_id_num_uses": SECRET_ID_USES, "token_ttl": "10m",
                                               "token_policies": ["default"]}),
    ]
    for method, path, body in steps:
        answer = leader.call(method, path, body, timeout=10)
        if answer.status not in (200, 204):
            raise RuntimeError(f"setup {path}: {answer.status} {answer.errors}")
    # KV v2 upgrades its mount in the background; wait until every node serves it.
    end = time.time() + 60
    for node in cluster.nodes:
        while time.time() < end and node.call("GET", f"{KV_MOUNT}/data/setup-probe", timeout=3).status != 404:
            time.sleep(0.2)
    answer = leader.call("GET", f"auth/approle/role/{ROLE}/role-id", timeout=5)
    return answer.body["data"]["role_id"]


class Workload:
    def __init__(self, cluster, history, seed, clients=8, keys=5, max_ops=200_000, timeout=3.0, rate=40.0,
                 reads="any", key_seconds=10.0, info_backoff=1.0):
        self.cluster, self.history = cluster, history
        self.seed, self.clients, self.key_slots = seed, clients, keys
        # Keys are renewed every key_seconds (k0g0, k0g1, ...), as Jepsen's independent keys do, so each
        # key's history stays short enough for the search however long the run.
        self.key_seconds = key_seconds
        self.info_backoff = info_backoff
        self.suspect_seconds = 1.0
        self._local = threading.local()
        self.keys = []
        self._keys_lock = threading.Lock()
        self.max_ops, self.timeout = max_ops, timeout  # the run stops the clients; max_ops bounds them too
        self.pause = 1.0 / rate  # each client's gap between operations: a bounded load
        self.role_id = None
        # "any": register reads go to any node (a standby must not answer stale); "active": to the node last
        # seen active, for servers whose standbys are known to serve stale reads (OpenBao).
        self.reads = reads
        self._active = None
        self.active_changes = []
        self._ops = itertools.count()
        # Spenders and the final reads get process ids far above any client's (client k uses k, k + clients, ...).
        self._processes = itertools.count(1_000_000)
        self._values = itertools.count()
        self._stop = threading.Event()
        self._threads = []
        self.errors = []

    # --- plumbing -----------------------------------------------------------------------------------------

    def _node(self, rng):
        """A random node, passing over the ones this client saw unavailable in the last second (as a client
        with every node's address would), so one dead node does not stall every client on its timeouts."""
        now = time.monotonic()
        suspects = getattr(self._local, "suspects", {})
        healthy = [n for n in self.cluster.nodes if suspects.get(n.name, 0) <= now]
        return rng.choice(healthy or self.cluster.nodes)

    def _suspect(self, node, outcome):
        if outcome.status is None or outcome.status >= 500 or not outcome.sent:
            if not hasattr(self._local, "suspects"):
                self._local.suspects = {}
            self._local.suspects[node.name] = time.monotonic() + self.suspect_seconds

    def _key(self, rng):
        generation = int((time.time() - self._started) // self.key_seconds)
        key = f"k{rng.randrange(self.key_slots)}g{generation}"
        with self._keys_lock:
            if key not in self.keys:
                self.keys.append(key)
        return key

    def _read_node(self, rng):
        if self.reads == "active" and self._active is not None:
            return self._active
        return self._node(rng)

    def _watch_active(self):
        """Keeps the last node seen active; a round in which no node answers active keeps the old one."""
        while not self._stop.wait(0.3):
            try:
                found = self.cluster.leader(timeout=2.0)
            except Exception:
                found = None
            if found is not None and found is not self._active:
                self.active_changes.append((self.history.now(), found.name))
                self._active = found

    def _request(self, process, f, node, key, value, method, path, body=None, changes_state=True,
                 result=None, headers=None, token=True):
        """One recorded operation. `result(outcome)` gives the value an ok completion records."""
        invocation = self.history.invoke(process, f, node.name, key=key, value=value)
        outcome = vault.call(node.api, method, path, body=body, timeout=self.timeout, headers=headers,
                             token=self.cluster.root_token if token else None)
        if f == "read" and outcome.status == 404:
            self.history.complete(invocation, "ok", value=None)  # an absent key reads as nothing
            return "ok", None, outcome
        type_ = classify(outcome, changes_state)
        if type_ != "ok":
            self._suspect(node, outcome)
        completed = result(outcome) if type_ == "ok" and result is not None else None
        self.history.complete(invocation, type_, value=completed, error=None if type_ == "ok" else describe(outcome))
        return type_, completed, outcome

    def _next_process(self, process, type_):
        """After an info the client goes on as a new process (Jepsen's rule), and first waits: a client that
        retried at full speed into an outage would fill each key's history with operations of unknown
        outcome, and the search's cost grows exponentially with those."""
        if type_ != "info":
            return process
        self._stop.wait(self.info_backoff)
        return process + self.clients

    def _budget(self):
        return not self._stop.is_set() and next(self._ops) < self.max_ops

    # --- registers ----------------------------------------------------------------------------------------

    def _read(self, process, node, key):
        """Returns (type, value, version); the history records the value alone."""
        def value(outcome):
            return (((outcome.body or {}).get("data") or {}).get("data") or {}).get("v")
        type_, read, outcome = self._request(process, "read", node, key, None, "GET", f"{KV_MOUNT}/data/{key}",
                                             changes_state=False, result=value)
        version = 0
        if type_ == "ok" and outcome.status == 200:
            version = (((outcome.body or {}).get("data") or {}).get("metadata") or {}).get("version") or 0
        return type_, read, version

    def register_client(self, worker):
        rng = random.Random(f"{self.seed}/register/{worker}")
        process = worker
        while self._budget():
            key, node, roll = self._key(rng), self._node(rng), rng.random()
            new = f"{worker}-{next(self._values)}"
            if roll < 0.5:
                type_, _, _ = self._read(process, self._read_node(rng), key)
            elif roll < 0.8:
                type_, _, _ = self._request(process, "write", node, key, new, "POST", f"{KV_MOUNT}/data/{key}",
                                            {"data": {"v": new}})
            else:
                # Compare-and-set by KV v2 version: values are unique, so "the version I read is current"
                # is "the value I read is current", the register model's CAS.
                type_, expected, version = self._read(process, self._read_node(rng), key)
                if type_ == "ok":
                    type_, _, _ = self._request(process, "cas", self._node(rng), key, [expected, new], "POST",
                                                f"{KV_MOUNT}/data/{key}",
                                                {"options": {"cas": version}, "data": {"v": new}})
            process = self._next_process(process, type_)
            time.sleep(self.pause)

    # --- set (lost writes) ---------------------------------------------------------------------------------

    def set_client(self, worker):
        rng = random.Random(f"{self.seed}/set/{worker}")
        process = worker
        while self._budget():
            element = f"e{next(self._values)}"
            type_, _, _ = self._request(process, "add", self._node(rng), element, element, "POST",
                                        f"{KV_MOUNT}/data/set/{element}", {"data": {"v": element}})
            process = self._next_process(process, type_)
            time.sleep(self.pause)

    # --- single-use objects ---------------------------------------------------------------------------------

    def _single_use_client(self, worker, name, create, spend, spenders):
        """Creates one single-use object at a time (create(process, node, holder) -> (type, handle), the
        secret kept in holder, never recorded), then has `spenders` clients on random nodes spend it at once."""
        rng = random.Random(f"{self.seed}/{name}/{worker}")
        process = worker
        while self._budget():
            holder = {}
            type_, handle = create(process, self._node(rng), holder)
            process = self._next_process(process, type_)
            if type_ == "ok":
                nodes = [self._node(rng) for _ in range(spenders)]
                with ThreadPoolExecutor(max_workers=spenders) as pool:
                    list(pool.map(lambda node: spend(next(self._processes), node, handle, holder), nodes))
            time.sleep(self.pause)

    def approle_client(self, worker):
        def create(process, node, holder):
            def secret(outcome):
                holder["secret_id"] = outcome.body["data"]["secret_id"]
                return fingerprint(holder["secret_id"])
            type_, sid, _ = self._request(process, "secret-id", node, ROLE, None, "POST",
                                          f"auth/approle/role/{ROLE}/secret-id", {}, result=secret)
            return type_, sid

        def login(process, node, sid, holder):
            self._request(process, "login", node, sid, SECRET_ID_USES, "POST", "auth/approle/login",
                          {"role_id": self.role_id, "secret_id": holder["secret_id"]}, token=False)
        self._single_use_client(worker, "approle", create, login, LOGINS_PER_SECRET_ID)

    def wrap_client(self, worker):
        def create(process, node, holder):
            payload = f"p{next(self._values)}"

            def token(outcome):
                holder["token"] = outcome.body["wrap_info"]["token"]
                return fingerprint(holder["token"])
            type_, handle, _ = self._request(process, "wrap", node, payload, payload, "POST", "sys/wrapping/wrap",
                                             {"payload": payload}, result=token, headers={"X-Vault-Wrap-TTL": "300"})
            return type_, handle

        def unwrap(process, node, handle, holder):
            self._request(process, "unwrap", node, handle, None, "POST", "sys/wrapping/unwrap",
                          {"token": holder["token"]},
                          result=lambda o: ((o.body or {}).get("data") or {}).get("payload"))
        self._single_use_client(worker, "wrap", create, unwrap, UNWRAPS_PER_TOKEN)

    # --- running --------------------------------------------------------------------------------------------

    def start(self):
        self.role_id = setup(self.cluster)
        roles = [self.register_client] * max(1, self.clients - 3) + [self.set_client, self.approle_client,
                                                                     self.wrap_client]
        self.clients = len(roles)  # process ids advance by this after an info, so they never collide
        self._started = time.time()
        self.history.start = time.monotonic_ns()  # history times count from the first operation
        if self.reads == "active":
            self._active = self.cluster.leader()
            watcher = threading.Thread(target=self._watch_active, daemon=True)
            watcher.start()
            self._threads.append(watcher)
        for worker, role in enumerate(roles):
            thread = threading.Thread(target=self._guard, args=(role, worker), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _guard(self, role, worker):
        try:
            role(worker)
        except Exception as error:  # a harness bug must not pass silently
            self.errors.append(f"{role.__name__}[{worker}]: {error!r}")

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.timeout * 3 + 5)
