"""A minimal Vault HTTP client on loopback: one connection per request, so a killed or paused node costs
one request, never a poisoned connection pool."""

import http.client
import json
import socket
import urllib.parse


class Outcome:
    """What one request came to. `sent` is False only when the connection was refused (the request
    certainly never reached the server); `status` is None when no answer came (timeout, reset)."""

    __slots__ = ("status", "body", "sent", "error", "location")

    def __init__(self, status=None, body=None, sent=True, error=None, location=None):
        self.status, self.body, self.sent, self.error, self.location = status, body, sent, error, location

    @property
    def errors(self):
        if isinstance(self.body, dict):
            return " ".join(str(e) for e in self.body.get("errors") or [])
        return ""


def call(port, method, path, body=None, token=None, timeout=3.0, headers=None, redirects=1):
    """One request. A 307 to another loopback node is followed once, as Vault's own client does."""
    outcome = _call(port, method, path, body, token, timeout, headers)
    if outcome.status == 307 and redirects > 0 and outcome.location:
        target = urllib.parse.urlsplit(outcome.location)
        if target.hostname == "127.0.0.1" and target.port and target.path.startswith("/v1/"):
            followed = call(target.port, method,
                            target.path[len("/v1/"):] + (f"?{target.query}" if target.query else ""),
                            body, token, timeout, headers, redirects - 1)
            if not followed.sent:
                # The first node answered, so it had the request: an OpenBao standby whose forwarding failed
                # answers 307 even when the active node had already applied the write. Not a definite failure.
                return Outcome(sent=True, error=f"307 then {followed.error}")
            return followed
    return outcome


def _call(port, method, path, body, token, timeout, headers):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    request_headers = {"Content-Type": "application/json"}
    if token:
        request_headers["X-Vault-Token"] = token
    request_headers.update(headers or {})
    try:
        try:
            connection.connect()
        except ConnectionRefusedError as error:
            return Outcome(sent=False, error="refused")
        except OSError as error:
            return Outcome(sent=False, error=type(error).__name__)
        data = json.dumps(body).encode() if body is not None else None
        connection.request(method, "/v1/" + path, body=data, headers=request_headers)
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
        try:
            parsed = json.loads(text) if text.strip() else None
        except ValueError:
            parsed = {"raw": text[:200]}
        return Outcome(status=response.status, body=parsed, location=response.getheader("Location"))
    except (socket.timeout, TimeoutError):
        return Outcome(error="timeout")
    except (ConnectionError, http.client.HTTPException, OSError) as error:
        return Outcome(error=type(error).__name__)
    finally:
        connection.close()
