"""`bao kv` and cubbyhole as a user runs them, against Coffer and OpenBao alike."""

import json

from test_tokens_and_policies import create, ready


def kv(server, token, *args):
    out = server.cli("kv", *args, token=token)
    return out.returncode, out.stdout, out.stderr


def test_kv_subcommands(either):
    root = ready(either)
    assert either.mount_kv2(root) == 204
    assert kv(either, root, "put", "secret/app/db", "user=alice", "password=one")[0] == 0
    assert kv(either, root, "put", "secret/app/db", "user=alice", "password=two")[0] == 0
    code, out, err = kv(either, root, "get", "-format=json", "secret/app/db")
    assert code == 0, err
    assert json.loads(out)["data"]["data"] == {"user": "alice", "password": "two"}
    assert json.loads(out)["data"]["metadata"]["version"] == 2
    code, out, err = kv(either, root, "get", "-version=1", "-field=password", "secret/app/db")
    assert code == 0 and out.strip() == "one", err
    assert kv(either, root, "patch", "secret/app/db", "password=three")[0] == 0
    code, out, _ = kv(either, root, "get", "-field=password", "secret/app/db")
    assert out.strip() == "three"
    assert kv(either, root, "delete", "secret/app/db")[0] == 0
    # A soft-deleted latest version: bao shows its metadata (deletion_time set) and no data.
    code, out, err = kv(either, root, "get", "-format=json", "secret/app/db")
    assert code == 0 and json.loads(out)["data"]["data"] is None, (out, err)
    assert json.loads(out)["data"]["metadata"]["deletion_time"]
    assert kv(either, root, "undelete", "-versions=3", "secret/app/db")[0] == 0
    assert kv(either, root, "get", "-field=password", "secret/app/db")[1].strip() == "three"
    assert kv(either, root, "destroy", "-versions=1", "secret/app/db")[0] == 0
    code, out, err = kv(either, root, "metadata", "get", "-format=json", "secret/app/db")
    assert code == 0, err
    versions = json.loads(out)["data"]["versions"]
    assert versions["1"]["destroyed"] is True and versions["3"]["destroyed"] is False
    assert kv(either, root, "metadata", "put", "-max-versions=5", "secret/app/db")[0] == 0
    code, out, _ = kv(either, root, "metadata", "get", "-format=json", "secret/app/db")
    assert json.loads(out)["data"]["max_versions"] == 5
    assert kv(either, root, "put", "secret/app/cache", "k=v")[0] == 0
    code, out, err = kv(either, root, "list", "-format=json", "secret/app")
    assert code == 0 and json.loads(out) == ["cache", "db"], (out, err)
    assert kv(either, root, "metadata", "delete", "secret/app/db")[0] == 0
    code, out, err = kv(either, root, "get", "secret/app/db")
    assert code == 2 and "No value found" in err, (out, err)


def test_cubbyhole_is_private_and_gone_with_its_token(either):
    root = ready(either)
    first = create(either, root, policies=["default"])["client_token"]
    second = create(either, root, policies=["default"])["client_token"]
    assert either.call("POST", "cubbyhole/note", {"secret": "mine"}, token=first)[0] == 204
    status, body = either.call("GET", "cubbyhole/note", token=first)
    assert status == 200 and body["data"] == {"secret": "mine"}
    assert either.call("GET", "cubbyhole/note", token=second)[0] == 404
    assert either.call("POST", "auth/token/revoke", {"token": first}, token=root)[0] == 204
    assert either.call("GET", "cubbyhole/note", token=first)[0] == 403
