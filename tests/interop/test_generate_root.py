"""Break-glass root token with OpenBao's CLI: key holders generate a new root token,
returned encoded with a one-time password; `-decode` gives a working token."""

import json


def ready(server, shares=3, threshold=2):
    status, answer = server.call("PUT", "sys/init", {"secret_shares": shares, "secret_threshold": threshold})
    assert status == 200, answer
    for key in answer["keys"][:threshold]:
        server.call("PUT", "sys/unseal", {"key": key})
    server.wait_active()
    return answer["keys"], answer["root_token"]


def test_generate_root_with_the_cli(either):
    keys, root = ready(either)
    out = either.cli("operator", "generate-root", "-generate-otp", token=root)
    assert out.returncode == 0, out.stderr
    otp = out.stdout.strip()
    assert len(otp) == 26
    out = either.cli("operator", "generate-root", "-init", f"-otp={otp}", "-format=json", token=root)
    assert out.returncode == 0, out.stderr
    nonce = json.loads(out.stdout)["nonce"]
    out = either.cli("operator", "generate-root", "-status", "-format=json", token=root)
    assert json.loads(out.stdout)["started"] is True
    final = None
    for key in keys[:2]:
        out = either.cli("operator", "generate-root", f"-nonce={nonce}", "-format=json", key, token=root)
        assert out.returncode == 0, out.stderr
        final = json.loads(out.stdout)
    assert final["complete"] is True
    encoded = final.get("encoded_root_token") or final.get("encoded_token")
    out = either.cli("operator", "generate-root", f"-decode={encoded}", f"-otp={otp}", token=root)
    assert out.returncode == 0, out.stderr
    new_root = out.stdout.strip()
    assert new_root.startswith("s.") and new_root != root
    status, body = either.call("GET", "auth/token/lookup-self", token=new_root)
    assert status == 200 and body["data"]["policies"] == ["root"]


def test_wrong_shares_do_not_give_a_root_token(either, tmp_path):
    keys, root = ready(either)
    other = type(either)(either.kind).start()
    try:
        other_keys, _ = ready(other)
    finally:
        other.cleanup()
    status, answer = either.call("PUT", "sys/generate-root-token/attempt", {}, token=root)
    assert status == 200, answer
    nonce = answer["data"]["nonce"]
    either.call("PUT", "sys/generate-root-token/update", {"key": other_keys[0], "nonce": nonce}, token=root)
    status, answer = either.call("PUT", "sys/generate-root-token/update", {"key": other_keys[1], "nonce": nonce},
                                 token=root)
    assert status >= 400
    assert "encoded_token" not in json.dumps(answer) or not answer.get("data", {}).get("encoded_token")
    assert either.call("GET", "sys/generate-root-token/attempt")[0] == 403
