"""A Coffer node over LMDB: sealed after every restart, everything back after unseal,
and nothing secret readable in its data directory."""

import base64
import json

from servers import Server


def init_and_unseal(server, shares=3, threshold=2):
    status, answer = server.call("PUT", "sys/init", {"secret_shares": shares, "secret_threshold": threshold})
    assert status == 200, answer
    keys, root = answer["keys"], answer["root_token"]
    for key in keys[:threshold]:
        server.call("PUT", "sys/unseal", {"key": key})
    server.wait_active()
    return answer, keys, root


SECRETS = {f"app/db-{n}": {"password": f"correct-horse-battery-{n}-f7c1"} for n in range(20)}


def test_restart_seals_and_unseal_restores_everything(coffer):
    answer, keys, root = init_and_unseal(coffer)
    assert coffer.call("POST", "sys/mounts/secret", {"type": "kv-v2"}, token=root)[0] == 204
    for path, data in SECRETS.items():
        assert coffer.call("POST", f"secret/data/{path}", {"data": data}, token=root)[0] == 200
    assert coffer.call("PUT", "sys/policies/acl/reader", {"policy": 'path "secret/*" { capabilities = ["read"] }'},
                       token=root)[0] == 204
    status, created = coffer.call("POST", "auth/token/create", {"policies": ["reader"]}, token=root)
    reader = created["auth"]["client_token"]
    assert coffer.call("PUT", "sys/rotate", token=root)[0] == 204
    assert coffer.call("PUT", "sys/rotate", token=root)[0] == 204

    coffer.restart()
    status, body = coffer.call("GET", "sys/seal-status")
    assert status == 200 and body["sealed"] is True and body["initialized"] is True
    assert coffer.call("GET", "sys/key-status", token=root)[0] == 503

    for key in keys[1:3]:
        coffer.call("PUT", "sys/unseal", {"key": key})
    status, body = coffer.call("GET", "sys/key-status", token=root)
    assert status == 200 and body["data"]["term"] == 3
    # Secrets written under term 1, a policy and a child token all survive.
    for path, data in SECRETS.items():
        status, body = coffer.call("GET", f"secret/data/{path}", token=reader)
        assert status == 200 and body["data"]["data"] == data, (path, status, body)
    assert coffer.call("GET", "sys/mounts", token=reader)[0] == 403


def test_data_directory_holds_no_secret_in_clear(coffer):
    answer, keys, root = init_and_unseal(coffer, shares=5, threshold=3)
    coffer.call("POST", "sys/mounts/secret", {"type": "kv-v2"}, token=root)
    for path, data in SECRETS.items():
        coffer.call("POST", f"secret/data/{path}", {"data": data}, token=root)
    coffer.call("PUT", "sys/rotate", token=root)
    coffer.stop()

    needles = {"root token": root.encode(), "root token body": root[2:].encode()}
    for path, data in SECRETS.items():
        needles[f"secret {path}"] = data["password"].encode()
    for number, key in enumerate(answer["keys"]):
        raw = bytes.fromhex(key)
        needles[f"share {number} (hex)"] = key.encode()
        needles[f"share {number} (base64)"] = answer["keys_base64"][number].encode()
        needles[f"share {number} (bytes)"] = raw
        needles[f"share {number} y-bytes"] = raw[:32]
    files = [p for p in coffer.data_dir.rglob("*") if p.is_file()]
    assert files, "no data files written"
    found = []
    for path in files:
        content = path.read_bytes()
        for name, needle in needles.items():
            if needle in content:
                found.append((str(path), name))
    assert not found, found
    # The store is there and readable as LMDB, just not in clear.
    assert any(p.name == "data.mdb" for p in files)


def test_data_files_are_private(coffer):
    init_and_unseal(coffer)
    for path in coffer.data_dir.rglob("*"):
        mode = path.stat().st_mode & 0o777
        if path.is_file():
            assert mode & 0o077 == 0, f"{path} is {oct(mode)}"
