"""Audit devices on a real server: what reaches the log, what never does, fail-closed
writes, SIGHUP, and `coffer audit verify` on a log the server wrote."""

import json
import os
import signal
import subprocess
import time
import urllib.request

import pytest

from servers import Server, coffer_binary

APP_POLICY = 'path "secret/data/app/*" { capabilities = ["create", "read", "update"] }'


def audit_stanza(path, name="file", extra=""):
    return f'''
audit "file" "{name}" {{
  description = "test log"
  options {{
    file_path = "{path}"
    {extra}
  }}
}}
'''


def start_with_audit(kind, extra_config=""):
    server = Server(kind)
    server.audit_log = server.dir / "audit.log"
    # Coffer logs at trace, so the server-log check sees everything it could ever write.
    level = 'log_level = "trace"\n' if kind == "coffer" else ""
    server.config.write_text(server.config.read_text() + level + audit_stanza(server.audit_log) + extra_config)
    return server.start()


@pytest.fixture(params=["coffer", "bao"])
def audited(request):
    server = start_with_audit(request.param)
    yield server
    server.cleanup()


@pytest.fixture
def audited_coffer():
    server = start_with_audit("coffer")
    yield server
    server.cleanup()


def init_unseal(server, shares=3, threshold=2):
    status, answer = server.call("PUT", "sys/init", {"secret_shares": shares, "secret_threshold": threshold})
    assert status == 200, answer
    for key in answer["keys"][:threshold]:
        server.call("PUT", "sys/unseal", {"key": key})
    server.wait_active()
    return answer


def audit_entries(server):
    text = server.audit_log.read_text()
    return [json.loads(line[line.index("{"):]) for line in text.splitlines() if line.strip()]


def audit_hash(server, token, value):
    status, answer = server.call("PUT", "sys/audit-hash/file", {"input": value}, token=token)
    assert status == 200, answer
    return answer["data"]["hash"]


def test_a_scripted_session_leaves_no_secret_in_clear(audited):
    server = audited
    init = init_unseal(server)
    root = init["root_token"]
    secrets = {"root token": root}
    for index, (hex_key, b64_key) in enumerate(zip(init["keys"], init["keys_base64"])):
        secrets[f"share {index} hex"] = hex_key
        secrets[f"share {index} base64"] = b64_key
    assert server.mount_kv2(root) == 204
    assert server.call("POST", "sys/auth/approle", {"type": "approle"}, token=root)[0] == 204
    assert server.call("PUT", "sys/policies/acl/app", {"policy": APP_POLICY}, token=root)[0] == 204
    assert server.call("POST", "auth/approle/role/app", {"token_policies": ["app"]}, token=root)[0] == 204
    status, answer = server.call("GET", "auth/approle/role/app/role-id", token=root)
    role_id = answer["data"]["role_id"]
    status, answer = server.call("POST", "auth/approle/role/app/secret-id", {}, token=root,
                                 headers={"X-Vault-Wrap-TTL": "60s"})
    assert status == 200, answer
    wrapping_token = answer["wrap_info"]["token"]
    secrets["wrapping token"] = wrapping_token
    status, answer = server.call("PUT", "sys/wrapping/unwrap", {}, token=wrapping_token)
    assert status == 200, answer
    secret_id = answer["data"]["secret_id"]
    secrets["secret_id"] = secret_id
    status, answer = server.call("PUT", "auth/approle/login", {"role_id": role_id, "secret_id": secret_id})
    assert status == 200, answer
    app_token = answer["auth"]["client_token"]
    secrets["app token"] = app_token
    kv_value = "s3cr3t-database-password-8c1f"
    secrets["kv value"] = kv_value
    status, answer = server.call("POST", "secret/data/app/db", {"data": {"password": kv_value}}, token=app_token)
    assert status == 200, answer
    status, answer = server.call("GET", "secret/data/app/db", token=app_token)
    assert answer["data"]["data"]["password"] == kv_value
    read_request_id = answer["request_id"]

    audit_text = server.audit_log.read_text()
    server_log = server.log.read_text()
    metrics_text = ""
    if server.kind == "coffer":
        request = urllib.request.Request(server.addr + "/v1/sys/metrics?format=prometheus",
                                         headers={"X-Vault-Token": root})
        with urllib.request.urlopen(request, timeout=10) as response:
            metrics_text = response.read().decode()
        assert 'route="auth/approle"' in metrics_text
    for what, value in secrets.items():
        assert value not in audit_text, f"{what} in the audit log"
        assert value not in server_log, f"{what} in the server log"
        assert value not in metrics_text, f"{what} in the metrics"

    entries = audit_entries(server)
    hashes = {what: audit_hash(server, root, value) for what, value in secrets.items()
              if what in ("root token", "wrapping token", "secret_id", "app token", "kv value")}
    # The KV write's request line carries the value's HMAC, and its token's.
    write = [e for e in entries if e["type"] == "request" and e["request"].get("path") == "secret/data/app/db"
             and e["request"]["operation"] in ("create", "update")]
    assert write, "no audit line for the KV write"
    assert write[0]["request"]["operation"] == "create", "a first write is logged as create, as OpenBao does"
    assert write[0]["request"]["data"]["data"]["password"] == hashes["kv value"]
    assert write[0]["request"]["client_token"] == hashes["app token"]
    # The unwrap's response carries the secret_id's HMAC; the wrap's response the wrapping token's.
    unwrap = [e for e in entries if e["type"] == "response" and e["request"].get("path") == "sys/wrapping/unwrap"]
    assert unwrap and unwrap[0]["response"]["data"]["secret_id"] == hashes["secret_id"]
    wrap = [e for e in entries if e["type"] == "response"
            and e["request"].get("path") == "auth/approle/role/app/secret-id"]
    assert wrap and wrap[0]["response"]["wrap_info"]["token"] == hashes["wrapping token"]
    login = [e for e in entries if e["type"] == "response" and e["request"].get("path") == "auth/approle/login"]
    assert login and login[0]["response"]["auth"]["client_token"] == hashes["app token"]
    # The client's request_id finds its request and response lines.
    assert [e["type"] for e in entries if e["request"].get("id") == read_request_id] == ["request", "response"]
    # Every token in every line is an HMAC.
    for entry in entries:
        for token in (entry["request"].get("client_token"), entry.get("auth", {}).get("client_token")):
            assert token is None or token.startswith("hmac-sha256:"), entry


def test_api_audit_creation_is_refused_without_the_config_switch(audited):
    root = init_unseal(audited, 1, 1)["root_token"]
    status, answer = audited.call("PUT", "sys/audit/extra", {"type": "file", "options": {"file_path": "discard"}},
                                  token=root)
    assert status == 400
    assert answer["errors"] == [
        "cannot enable audit device via API; use declarative, config-based audit device management instead"]
    status, answer = audited.call("DELETE", "sys/audit/file", token=root)
    assert (status, answer["errors"]) == (400, ["cannot disable configuration-managed audit device"])
    status, answer = audited.call("GET", "sys/audit", token=root)
    assert status == 200 and list(answer["data"]) == ["file/"]
    assert answer["data"]["file/"]["options"]["file_path"] == str(audited.audit_log)
    status, answer = audited.call("PUT", "sys/audit-hash/nope", {"input": "x"}, token=root)
    assert (status, answer["errors"]) == (400, ['unknown audit backend "nope/"'])


def test_unwritable_audit_file_refuses_writes_until_fixed(audited_coffer):
    server = audited_coffer
    root = init_unseal(server, 1, 1)["root_token"]
    assert server.mount_kv2(root) == 204
    assert server.call("POST", "secret/data/x", {"data": {"v": "1"}}, token=root)[0] == 200
    # The only audit file can no longer be written: its path is now a directory.
    os.remove(server.audit_log)
    os.mkdir(server.audit_log)
    status, answer = server.call("POST", "secret/data/x", {"data": {"v": "2"}}, token=root)
    assert status == 500, answer
    os.rmdir(server.audit_log)
    status, answer = server.call("GET", "secret/data/x", token=root)
    assert status == 200 and answer["data"]["data"] == {"v": "1"}, "the refused write was applied"
    assert server.call("POST", "secret/data/x", {"data": {"v": "3"}}, token=root)[0] == 200
    assert server.call("GET", "secret/data/x", token=root)[1]["data"]["data"] == {"v": "3"}
    request = urllib.request.Request(server.addr + "/v1/sys/metrics?format=prometheus",
                                     headers={"X-Vault-Token": root})
    with urllib.request.urlopen(request, timeout=10) as response:
        metrics = response.read().decode()
    failures = [line for line in metrics.splitlines() if line.startswith('coffer_audit_failures_total{device="file/"}')]
    assert failures and float(failures[0].split()[-1]) >= 1, failures


def test_sighup_follows_the_audit_stanzas_and_reopens_files(audited_coffer):
    server = audited_coffer
    root = init_unseal(server, 1, 1)["root_token"]
    second = server.dir / "second.log"
    base_config = server.config.read_text()
    server.config.write_text(base_config + audit_stanza(second, name="second"))
    os.kill(server.process.pid, signal.SIGHUP)
    deadline = time.time() + 10
    while time.time() < deadline:
        if "second/" in server.call("GET", "sys/audit", token=root)[1]["data"]:
            break
        time.sleep(0.1)
    assert set(server.call("GET", "sys/audit", token=root)[1]["data"]) == {"file/", "second/"}
    assert second.exists() and second.stat().st_mode & 0o777 == 0o600
    # Rotation: move the first file away; SIGHUP; the next request lands in a new file.
    os.rename(server.audit_log, str(server.audit_log) + ".1")
    server.config.write_text(base_config)
    os.kill(server.process.pid, signal.SIGHUP)
    deadline = time.time() + 10
    while time.time() < deadline:
        if list(server.call("GET", "sys/audit", token=root)[1]["data"]) == ["file/"]:
            break
        time.sleep(0.1)
    assert list(server.call("GET", "sys/audit", token=root)[1]["data"]) == ["file/"]
    assert server.audit_log.exists()


def verify(path):
    return subprocess.run([coffer_binary(), "audit", "verify", str(path)], capture_output=True, text=True,
                          timeout=60)


@pytest.fixture(scope="module")
def written_log(tmp_path_factory):
    server = start_with_audit("coffer")
    try:
        root = init_unseal(server, 1, 1)["root_token"]
        server.mount_kv2(root)
        for index in range(3):
            server.call("POST", f"secret/data/k{index}", {"data": {"v": str(index)}}, token=root)
        lines = server.audit_log.read_text().splitlines()
    finally:
        server.cleanup()
    assert len(lines) >= 8
    return tmp_path_factory.mktemp("verify"), lines


def write_lines(directory, name, lines):
    path = directory / name
    path.write_text("\n".join(lines) + "\n")
    return path


def test_verify_accepts_the_log_as_written(written_log):
    directory, lines = written_log
    out = verify(write_lines(directory, "intact.log", lines))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"ok: {len(lines)} lines, chain intact"


def test_verify_reports_an_edited_line(written_log):
    directory, lines = written_log
    edited = list(lines)
    edited[4] = edited[4].replace('"path":"secret/data/k', '"path":"secret/data/K')
    assert edited[4] != lines[4]
    out = verify(write_lines(directory, "edited.log", edited))
    assert out.returncode == 2
    assert "line 5: altered" in out.stderr


def test_verify_reports_a_deleted_line(written_log):
    directory, lines = written_log
    out = verify(write_lines(directory, "deleted.log", lines[:3] + lines[4:]))
    assert out.returncode == 2
    assert "line 4: line with seq 4 removed before it" in out.stderr


def test_verify_reports_swapped_lines(written_log):
    directory, lines = written_log
    swapped = list(lines)
    swapped[2], swapped[3] = swapped[3], swapped[2]
    out = verify(write_lines(directory, "swapped.log", swapped))
    assert out.returncode == 2
    assert "line 3: out of order" in out.stderr


def test_socket_device_sends_lines_and_fails_closed_when_the_collector_is_gone():
    import socket as sockets
    import threading
    collector = sockets.socket(sockets.AF_INET, sockets.SOCK_STREAM)
    collector.bind(("127.0.0.1", 0))
    collector.listen(1)
    port = collector.getsockname()[1]
    received = []
    connections = []

    def accept():
        connection, _ = collector.accept()
        connections.append(connection)
        with connection:
            while True:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                received.append(chunk)

    reader = threading.Thread(target=accept, daemon=True)
    reader.start()
    server = Server("coffer")
    server.config.write_text(server.config.read_text() + f'''
audit "socket" "collector" {{
  options {{
    address = "127.0.0.1:{port}"
    socket_type = "tcp"
  }}
}}
''')
    server.start()
    try:
        root = init_unseal(server, 1, 1)["root_token"]
        assert server.mount_kv2(root) == 204
        assert server.call("POST", "secret/data/s", {"data": {"v": "socket-secret"}}, token=root)[0] == 200
        deadline = time.time() + 10
        while time.time() < deadline and b"secret/data/s" not in b"".join(received):
            time.sleep(0.05)
        lines = b"".join(received).decode().splitlines()
        assert any('"path":"secret/data/s"' in line for line in lines)
        assert not any("socket-secret" in line or root in line for line in lines)
        # The collector goes away: the only device cannot record, the write is refused.
        collector.close()
        for connection in connections:
            connection.shutdown(sockets.SHUT_RDWR)
        status = 0
        for _ in range(5):  # the first sends after the peer closed may still be accepted by the kernel
            status = server.call("POST", "secret/data/s", {"data": {"v": "later"}}, token=root)[0]
            if status == 500:
                break
        assert status == 500
        assert server.call("GET", "secret/data/s", token=root)[0] == 500
    finally:
        server.cleanup()
        collector.close()


def rechain(lines):
    """What a forger without the salt can do: recompute every prev so the file verifies offline."""
    import hashlib
    import re
    out = []
    for index, line in enumerate(lines):
        if index > 0:
            prev = "sha256:" + hashlib.sha256(out[-1].encode()).hexdigest()
            line = re.sub(r'"prev":"[^"]*"', f'"prev":"{prev}"', line)
        out.append(line)
    return out


def test_verify_with_the_server_catches_an_edited_last_line_and_a_rewritten_tail(audited_coffer, tmp_path):
    server = audited_coffer
    root = init_unseal(server, 1, 1)["root_token"]
    server.mount_kv2(root)
    for index in range(3):
        server.call("POST", f"secret/data/k{index}", {"data": {"v": str(index)}}, token=root)
    lines = server.audit_log.read_text().splitlines()

    def verify_with_server(name, candidate):
        path = write_lines(tmp_path, name, candidate)
        return subprocess.run([coffer_binary(), "audit", "verify", "-device=file", str(path)],
                              capture_output=True, text=True, timeout=60, env=server.cli_env(root))

    out = verify_with_server("intact.log", lines)
    assert out.returncode == 0, out.stderr
    assert "last line's MAC checked by the server for device file" in out.stdout
    # The last line edited: the file alone cannot tell, the server's MAC check can.
    edited_last = lines[:-1] + [lines[-1].replace('"path":"secret/data/k2"', '"path":"secret/data/kX"')]
    assert edited_last[-1] != lines[-1]
    assert verify(write_lines(tmp_path, "edited-last-offline.log", edited_last)).returncode == 0
    out = verify_with_server("edited-last.log", edited_last)
    assert out.returncode == 2
    assert f"line {len(lines)}: MAC does not match" in out.stderr
    # A middle line edited and every later prev recomputed: intact offline, refused by the MAC.
    forged = list(lines)
    forged[3] = forged[3].replace('"type":"response"', '"type":"request"')
    assert forged[3] != lines[3]
    forged = rechain(forged)
    assert verify(write_lines(tmp_path, "forged-offline.log", forged)).returncode == 0
    out = verify_with_server("forged.log", forged)
    assert out.returncode == 2 and "MAC does not match" in out.stderr


def kv_write_entries(server):
    root = init_unseal(server, 1, 1)["root_token"]
    assert server.mount_kv2(root) == 204
    assert server.call("POST", "secret/data/d", {"data": {"v": "1"}}, token=root)[0] == 200
    lines = [e for e in audit_entries(server) if e["request"].get("path") == "secret/data/d"]
    assert [e["type"] for e in lines] == ["request", "response"]
    return lines


def test_audit_entries_have_openbaos_fields_but_the_listed_ones():
    from differences import AUDIT_NOT_SENT
    servers = [start_with_audit("coffer"), start_with_audit("bao")]
    try:
        coffer_lines, bao_lines = (kv_write_entries(server) for server in servers)
    finally:
        for server in servers:
            server.cleanup()
    for coffer_entry, bao_entry in zip(coffer_lines, bao_lines):
        assert set(coffer_entry) - {"chain"} == set(bao_entry), (set(coffer_entry), set(bao_entry))
        for part in ("auth", "request", "response"):
            if part not in bao_entry:
                continue
            only_bao = set(bao_entry[part]) - set(coffer_entry[part])
            only_coffer = set(coffer_entry[part]) - set(bao_entry[part])
            assert only_bao == set(AUDIT_NOT_SENT[part]), (part, only_bao)
            assert not only_coffer, (part, only_coffer)
