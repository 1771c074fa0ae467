"""Minimal Vault-API HTTP calls for setup, checks and the failover writer.

`call` opens one connection per call (setup and checks); `Session` keeps one
keep-alive connection (sequential writers, preloading). Neither logs tokens or values."""

import http.client
import json
import socket
from urllib.parse import urlparse


class HTTPDown(Exception):
    """The node did not answer at the HTTP level (refused, reset, timed out)."""


def _decode(raw):
    text = raw.decode(errors="replace")
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


class Session:
    """One keep-alive HTTP/1.1 connection to one node."""

    def __init__(self, addr, timeout=10):
        parsed = urlparse(addr)
        self.host, self.port = parsed.hostname, parsed.port
        self.timeout = timeout
        self.conn = None

    def request(self, method, path, body=None, token=None, headers=None, raw=None, timeout=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        hdrs = {"Content-Type": "application/json"} if data is not None else {}
        if token:
            hdrs["X-Vault-Token"] = token
        hdrs.update(headers or {})
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout or self.timeout)
            try:
                self.conn.request(method, "/v1/" + path, body=data, headers=hdrs)
                response = self.conn.getresponse()
                payload = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, _decode(payload)
            except (ConnectionError, socket.timeout, http.client.HTTPException, OSError) as error:
                self.close()
                # A stale keep-alive connection fails on first use: retry once, but only reads.
                if attempt == 1 or method not in ("GET",) or isinstance(error, socket.timeout):
                    raise HTTPDown(str(error)) from error
        raise HTTPDown("unreachable")

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:
                pass
            self.conn = None


def call(addr, method, path, body=None, token=None, headers=None, raw=None, timeout=10):
    session = Session(addr, timeout=timeout)
    try:
        return session.request(method, path, body=body, token=token, headers=headers, raw=raw)
    finally:
        session.close()
