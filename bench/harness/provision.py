"""Provision a cluster for the bench, identically on both servers: kv-v2 at secret/,
AppRole at approle/ with a role `bench`, a policy for the role's tokens, and N preloaded
secrets of 100 bytes at secret/data/bench/k0..k{N-1}, every one acknowledged."""

import threading
import time

from .http import Session, HTTPDown

VALUE_BYTES = 100
POLICY = """
path "secret/data/bench/*" { capabilities = ["create", "read", "update"] }
path "secret/metadata/bench/*" { capabilities = ["read", "list"] }
"""


def value_for(index: int) -> str:
    """A deterministic 100-byte value for key `index`."""
    head = f"bench-value-{index:08d}-"
    return (head + "x" * VALUE_BYTES)[:VALUE_BYTES]


def expect(status, body, what, ok=(200, 204)):
    if status not in ok:
        raise RuntimeError(f"provisioning step failed: {what}: {status} {body}")
    return body


def kv_ready(node, token, timeout_s):
    """Waits until `node` writes and reads secret/data/bench/k0 with 200."""
    session = Session(node.addr, timeout=30)
    deadline = time.time() + timeout_s
    try:
        while True:
            write = session.request("POST", "secret/data/bench/k0", {"data": {"value": value_for(0)}}, token=token)
            read = session.request("GET", "secret/data/bench/k0", token=token)
            if write[0] == 200 and read[0] == 200:
                return
            if time.time() > deadline:
                raise RuntimeError(f"node{node.index} not serving kv-v2: write {write}, read {read}")
            time.sleep(0.2)
    finally:
        session.close()


def provision(cluster, secrets: int, workers: int = 16):
    """Returns the credentials the workloads need (never printed) and the preload time."""
    node = cluster.active()
    root = cluster.root_token
    s = Session(node.addr, timeout=30)
    try:
        expect(*s.request("POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}}, token=root),
               "mount kv-v2 at secret/")
        expect(*s.request("POST", "sys/auth/approle", {"type": "approle"}, token=root), "enable approle")
        expect(*s.request("PUT", "sys/policies/acl/bench", {"policy": POLICY}, token=root), "write policy")
        expect(*s.request("POST", "auth/approle/role/bench",
                          {"token_policies": ["bench"], "token_ttl": "4h", "token_max_ttl": "8h",
                           "secret_id_num_uses": 0, "secret_id_ttl": "0"}, token=root), "write role")
        role_id = expect(*s.request("GET", "auth/approle/role/bench/role-id", token=root), "read role-id")
        role_id = role_id["data"]["role_id"]
        secret_id = expect(*s.request("POST", "auth/approle/role/bench/secret-id", {}, token=root), "secret-id")
        secret_id = secret_id["data"]["secret_id"]
        login = expect(*s.request("POST", "auth/approle/login", {"role_id": role_id, "secret_id": secret_id}),
                       "approle login")
        app_token = login["auth"]["client_token"]
        # kv-v2 needs a moment after mounting on OpenBao (upgrade check): wait for the first write.
        kv_ready(node, app_token, 30)
    finally:
        s.close()

    # A standby may answer kv-v2 itself (OpenBao's do) and only learns the mount is ready a
    # moment later: wait until every standby reads and writes through, so no row starts early.
    for standby in cluster.standbys():
        kv_ready(standby, app_token, 60)

    t0 = time.time()
    failures = []
    lock = threading.Lock()
    counter = iter(range(1, secrets))

    def writer():
        session = Session(node.addr, timeout=30)
        try:
            while True:
                with lock:
                    index = next(counter, None)
                if index is None:
                    return
                try:
                    status, body = session.request("POST", f"secret/data/bench/k{index}",
                                                   {"data": {"value": value_for(index)}}, token=app_token)
                except HTTPDown as error:
                    status, body = None, str(error)
                if status != 200:
                    with lock:
                        failures.append((index, status))
                    if len(failures) > 10:
                        return
        finally:
            session.close()

    threads = [threading.Thread(target=writer) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(f"preload failed for {len(failures)} keys, first {failures[:3]}")
    return {"role_id": role_id, "secret_id": secret_id, "app_token": app_token,
            "preload_s": time.time() - t0, "secrets": secrets}
