"""A node's hardening on a real process: TLS on the API listener (minimum version, client
certificates, reload on SIGHUP), request limits and slow-client deadlines, metrics,
locked memory and no core dumps."""

import ctypes
import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.request

import pytest

from servers import Server

TLS_LISTENER = '''
listener "tcp" {{
  address = "127.0.0.1:{port}"
  tls_cert_file = "{cert}"
  tls_key_file = "{key}"
  {extra}
}}
'''


def make_cert(directory, name, ca=None):
    """A key and certificate for 127.0.0.1 signed by `ca` (a (cert, key) pair) or self-signed."""
    key, cert = directory / f"{name}.key", directory / f"{name}.crt"
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", directory / f"{name}.csr", "-subj", f"/CN={name}"],
                   check=True, capture_output=True)
    ext = directory / f"{name}.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:TRUE\n")
    sign = ["-CA", ca[0], "-CAkey", ca[1]] if ca else ["-signkey", key]
    subprocess.run(["openssl", "x509", "-req", "-in", directory / f"{name}.csr", "-days", "2", "-out", cert,
                    "-extfile", ext, *sign], check=True, capture_output=True)
    return cert, key


def tls_server(cert, key, extra=""):
    server = Server("coffer")
    text = server.config.read_text()
    start = text.index('listener "tcp"')
    end = text.index("}", start) + 1
    server.config.write_text(text[:start] + TLS_LISTENER.format(
        port=server.port, cert=cert, key=key, extra=extra) + text[end:])
    server.addr = f"https://127.0.0.1:{server.port}"
    return server


def start_tls(server, ca_file, client_cert=None):
    """Starts `server` and waits until it answers over TLS."""
    server.process = subprocess.Popen(
        [__import__("servers").coffer_binary(), "server", f"-config={server.config}"],
        stdout=open(server.log, "ab"), stderr=subprocess.STDOUT, cwd=server.dir)
    deadline = time.time() + 60
    while time.time() < deadline:
        assert server.process.poll() is None, server.log.read_text()[-2000:]
        try:
            https_get(server, "sys/seal-status", ca_file, client_cert)
            return server
        except (OSError, ssl.SSLError):
            time.sleep(0.1)
    raise RuntimeError("no TLS answer: " + server.log.read_text()[-2000:])


def context(ca_file, client_cert=None, maximum=None):
    ctx = ssl.create_default_context(cafile=str(ca_file))
    if client_cert:
        ctx.load_cert_chain(str(client_cert[0]), str(client_cert[1]))
    if maximum:
        ctx.maximum_version = maximum
    return ctx


def https_get(server, path, ca_file, client_cert=None, maximum=None):
    with urllib.request.urlopen(server.addr + "/v1/" + path, timeout=5,
                                context=context(ca_file, client_cert, maximum)) as response:
        return response.status, json.loads(response.read())


def peer_subject(server, ca_file):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        with context(ca_file).wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            return dict(item[0] for item in tls.getpeercert()["subject"])["commonName"]


def test_tls_listener_serves_refuses_old_versions_and_reloads_its_certificate(tmp_path):
    ca = make_cert(tmp_path, "ca")
    first = make_cert(tmp_path, "first", ca)
    second = make_cert(tmp_path, "second", ca)
    live_cert, live_key = tmp_path / "live.crt", tmp_path / "live.key"
    live_cert.write_bytes(first[0].read_bytes())
    live_key.write_bytes(first[1].read_bytes())
    server = tls_server(live_cert, live_key, 'tls_min_version = "tls13"')
    try:
        start_tls(server, ca[0])
        status, body = https_get(server, "sys/seal-status", ca[0])
        assert status == 200 and body["initialized"] is False
        with pytest.raises((ssl.SSLError, OSError)):
            https_get(server, "sys/seal-status", ca[0], maximum=ssl.TLSVersion.TLSv1_2)
        assert peer_subject(server, ca[0]) == "first"
        live_cert.write_bytes(second[0].read_bytes())
        live_key.write_bytes(second[1].read_bytes())
        os.kill(server.process.pid, signal.SIGHUP)
        deadline = time.time() + 10
        while time.time() < deadline and peer_subject(server, ca[0]) != "second":
            time.sleep(0.1)
        assert peer_subject(server, ca[0]) == "second"
        # A broken file on reload keeps the certificate in use.
        live_key.write_text("not a key")
        os.kill(server.process.pid, signal.SIGHUP)
        time.sleep(1)
        assert peer_subject(server, ca[0]) == "second"
    finally:
        server.cleanup()


def test_client_certificates_are_required_when_configured(tmp_path):
    ca = make_cert(tmp_path, "ca")
    server_cert = make_cert(tmp_path, "server", ca)
    client = make_cert(tmp_path, "client", ca)
    server = tls_server(*server_cert, f'tls_client_ca_file = "{ca[0]}"\n  tls_require_and_verify_client_cert = true')
    try:
        start_tls(server, ca[0], client)
        assert https_get(server, "sys/seal-status", ca[0], client)[0] == 200
        with pytest.raises((ssl.SSLError, OSError)):
            https_get(server, "sys/seal-status", ca[0])
    finally:
        server.cleanup()


def test_tls_listener_with_unreadable_certificate_does_not_start(tmp_path):
    server = tls_server(tmp_path / "missing.crt", tmp_path / "missing.key")
    try:
        out = subprocess.run([__import__("servers").coffer_binary(), "server", f"-config={server.config}"],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode != 0
        assert "tls_cert_file" in out.stderr + out.stdout
    finally:
        server.cleanup()


@pytest.fixture
def limited():
    server = Server("coffer")
    server.config.write_text(server.config.read_text().replace(
        "tls_disable = true",
        'tls_disable = true\n  max_request_size = 4096\n  http_read_header_timeout = "1s"\n  http_read_timeout = "2s"'))
    server.start()
    yield server
    server.cleanup()


def test_oversized_bodies_and_headers_get_clear_errors(limited):
    status, body = limited.call("PUT", "sys/init", raw=b'{"secret_shares":1,"pad":"' + b"x" * 8192 + b'"}')
    assert status == 400 and "too large" in body["errors"][0]
    with socket.create_connection(("127.0.0.1", limited.port), timeout=5) as sock:
        sock.sendall(b"GET /v1/sys/seal-status HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (200 * 1024) + b"\r\n\r\n")
        answer = b""
        try:
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["errors"][0].startswith("request header fields too large")


def test_a_slow_client_is_disconnected(limited):
    with socket.create_connection(("127.0.0.1", limited.port), timeout=10) as sock:
        sock.sendall(b"GET /v1/sys/seal-status HTTP/1.1\r\nHost: x\r\n")
        started = time.time()
        try:
            closed = sock.recv(1) == b""
        except ConnectionResetError:
            closed = True
        assert closed and time.time() - started < 8
    # A client that completes its request in time is served.
    assert limited.call("GET", "sys/seal-status")[0] == 200


def test_a_client_that_stalls_in_its_body_is_disconnected(limited):
    with socket.create_connection(("127.0.0.1", limited.port), timeout=10) as sock:
        sock.sendall(b"PUT /v1/sys/init HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"secret_")
        started = time.time()
        answer = b""
        try:
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except ConnectionResetError:
            pass
        waited = time.time() - started
    # Cut off after the body deadline (2s), long before the socket's own 10s timeout, with no answer
    # that could have come from a request the server ran.
    assert 1.5 < waited < 8, waited
    assert b"200 OK" not in answer


def test_metrics_need_a_token_and_report_requests_and_state(coffer):
    status, answer = coffer.call("PUT", "sys/init", {"secret_shares": 1, "secret_threshold": 1})
    root = answer["root_token"]
    coffer.call("PUT", "sys/unseal", {"key": answer["keys"][0]})
    coffer.mount_kv2(root)
    coffer.call("POST", "secret/data/m", {"data": {"v": "metric-secret-value"}}, token=root)
    assert coffer.call("GET", "sys/metrics?format=prometheus")[0] in (400, 403)
    request = urllib.request.Request(coffer.addr + "/v1/sys/metrics?format=prometheus",
                                     headers={"X-Vault-Token": root})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    assert 'coffer_http_requests_total{route="secret",method="POST",status="200"} 1' in text
    assert "coffer_http_request_duration_seconds_bucket" in text
    assert "coffer_core_unsealed 1" in text
    assert "coffer_tokens 1" in text
    for secret in (root, answer["keys"][0], answer["keys_base64"][0], "metric-secret-value"):
        assert secret not in text


def test_memory_is_locked_unless_disabled_and_core_dumps_are_off(tmp_path):
    server = Server("coffer")
    server.config.write_text(server.config.read_text().replace("disable_mlock = true", "disable_mlock = false"))
    libc = ctypes.CDLL(None, use_errno=True)
    can_lock = libc.mlockall(1) == 0  # MCL_CURRENT, in this test process
    if can_lock:
        libc.munlockall()
    try:
        if not can_lock:
            with pytest.raises(RuntimeError):
                server.start()
            assert "cannot lock memory" in server.log.read_text()
            return
        server.start()
        status = open(f"/proc/{server.process.pid}/status").read()
        locked_kb = int(status.split("VmLck:")[1].split()[0])
        assert locked_kb > 0
    finally:
        server.cleanup()
    unlocked = Server("coffer").start()
    try:
        status = open(f"/proc/{unlocked.process.pid}/status").read()
        assert int(status.split("VmLck:")[1].split()[0]) == 0
        limits = open(f"/proc/{unlocked.process.pid}/limits").read()
        core_line = next(line for line in limits.splitlines() if line.startswith("Max core file size"))
        assert core_line.split()[4:6] == ["0", "0"], core_line
    finally:
        unlocked.cleanup()


def test_without_the_right_to_lock_memory_the_server_says_what_to_grant(tmp_path):
    """CAP_IPC_LOCK dropped and RLIMIT_MEMLOCK at 64 KiB: mlockall cannot succeed."""
    server = Server("coffer")
    server.config.write_text(server.config.read_text().replace("disable_mlock = true", "disable_mlock = false"))
    try:
        out = subprocess.run(
            ["setpriv", "--inh-caps=-ipc_lock", "--bounding-set=-ipc_lock",
             "prlimit", "--memlock=65536:65536", __import__("servers").coffer_binary(), "server",
             f"-config={server.config}"],
            capture_output=True, text=True, timeout=60)
        assert out.returncode != 0
        assert "cannot lock memory: mlockall failed" in out.stderr
        assert "disable_mlock = true" in out.stderr
    finally:
        server.cleanup()
