"""Token leases through sys/leases, against Coffer and OpenBao alike."""

import time

from test_tokens_and_policies import create, ready


def leases(server, root):
    status, answer = server.call("LIST", "sys/leases/lookup/auth/token/create/", token=root)
    if status != 200:
        status, answer = server.call("GET", "sys/leases/lookup/auth/token/create/?list=true", token=root)
    assert status == 200, answer
    return ["auth/token/create/" + key for key in answer["data"]["keys"]]


def lookup(server, root, lease_id):
    return server.call("PUT", "sys/leases/lookup", {"lease_id": lease_id}, token=root)


def test_lookup_renew_revoke(either):
    root = ready(either)
    token = create(either, root, policies=["default"], ttl="1h")["client_token"]
    found = []
    for lease_id in leases(either, root):
        status, answer = lookup(either, root, lease_id)
        if status == 200 and answer["data"]["renewable"]:
            found.append((lease_id, answer["data"]))
    assert len(found) == 1, found
    lease_id, data = found[0]
    assert data["id"] == lease_id and 3500 <= data["ttl"] <= 3600 and data["expire_time"]
    status, answer = either.call("PUT", "sys/leases/renew", {"lease_id": lease_id, "increment": "2h"}, token=root)
    assert status == 400 and answer == {"errors": ["tokens cannot be renewed through this endpoint"]}
    status, answer = either.call("PUT", "auth/token/renew", {"token": token, "increment": "2h"}, token=root)
    assert status == 200 and 7100 <= answer["auth"]["lease_duration"] <= 7200, answer
    assert 7100 <= lookup(either, root, lease_id)[1]["data"]["ttl"] <= 7200
    assert either.call("GET", "auth/token/lookup-self", token=token)[0] == 200
    assert either.call("PUT", "sys/leases/revoke", {"lease_id": lease_id}, token=root)[0] == 204
    assert either.call("GET", "auth/token/lookup-self", token=token)[0] == 403
    status, answer = lookup(either, root, lease_id)
    assert status == 400 and answer == {"errors": ["invalid lease"]}


def test_revoke_prefix_revokes_every_lease_below_it(either):
    root = ready(either)
    tokens = [create(either, root, policies=["default"], ttl="1h")["client_token"] for _ in range(3)]
    assert either.call("PUT", "sys/leases/revoke-prefix/auth/token/create", {}, token=root)[0] == 204
    time.sleep(0.5)
    assert all(either.call("GET", "auth/token/lookup-self", token=t)[0] == 403 for t in tokens)
    assert either.call("GET", "auth/token/lookup-self", token=root)[0] == 200


def test_unknown_leases(either):
    root = ready(either)
    assert lookup(either, root, "nope/x")[1] == {"errors": ["invalid lease"]}
    status, answer = either.call("PUT", "sys/leases/renew", {"lease_id": "nope/x"}, token=root)
    assert status == 400 and answer == {"errors": ["lease not found"]}
