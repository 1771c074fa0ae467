#!/usr/bin/env python3
"""Record OpenBao 2.7.2's answers to a scripted AppRole session, for Coffer's tests.

Starts `bao server -dev` on a free loopback port, enables approle at auth/approle/,
replays STEPS (role CRUD and validation, role-id, secret-id issue with metadata, CIDR,
TTL and num_uses, lookups and destroys by secret_id and accessor, custom secret_ids,
logins that succeed and fail, per-field endpoints, tidy), and writes cases.json:
each case is the request as scripted (with ${var} placeholders for values captured
from earlier answers), the status, and the answer with volatile values (UUIDs, times,
tokens, request ids) replaced by placeholders. The server is stopped by PID in a
finally. Only 127.0.0.1 is ever contacted: CIDR mismatches bind to 10.0.0.0/8 and log
in from 127.0.0.1.

Usage: python3 tests/approle-oracle/record.py  (needs `bao` on PATH)
       python3 tests/approle-oracle/record.py --binary .build/debug/coffer --out /tmp/coffer-cases.json
         replays the same script against another Vault-compatible binary that takes
         `server -dev -dev-root-token-id=root -dev-listen-address=...` (an HTTP differential:
         compare the two files' statuses and responses).
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ZERO = "00000000-0000-0000-0000-000000000000"
CUSTOM = "my-custom-secret-0001"

# (name, method, path below auth/approle/, body or None, {var: dotted path to capture})
STEPS = [
    ("list roles, none yet", "LIST", "role", None, {}),
    ("create role web", "POST", "role/web",
     {"token_policies": "a,b", "token_ttl": "1h", "token_max_ttl": 7200, "secret_id_ttl": "10m"}, {}),
    ("read role web", "GET", "role/web", None, {}),
    ("update role web", "POST", "role/web", {"token_num_uses": 3, "token_period": "30m"}, {}),
    ("read role web after update", "GET", "role/web", None, {}),
    ("read role by other case", "GET", "role/WEB", None, {}),
    ("create role with legacy fields", "POST", "role/legacy", {"policies": " B , a,a", "period": 60}, {}),
    ("read legacy role", "GET", "role/legacy", None, {}),
    ("token_policies replaces legacy policies", "POST", "role/legacy", {"token_policies": "x , y"}, {}),
    ("read legacy role after token_policies", "GET", "role/legacy", None, {}),
    ("list roles", "LIST", "role", None, {}),
    ("read unknown role", "GET", "role/nope", None, {}),
    ("bad duration string", "POST", "role/bad", {"token_ttl": "abc"}, {}),
    ("duration as bool", "POST", "role/bad", {"token_ttl": True}, {}),
    ("fractional duration number", "POST", "role/bad", {"token_ttl": 1.5}, {}),
    ("int field as word", "POST", "role/bad", {"token_num_uses": "x"}, {}),
    ("bool field as word", "POST", "role/bad", {"bind_secret_id": "maybe"}, {}),
    ("unknown token_type", "POST", "role/bad", {"token_type": "weird"}, {}),
    ("token_ttl above token_max_ttl", "POST", "role/bad", {"token_ttl": 100, "token_max_ttl": 50}, {}),
    ("periodic batch tokens", "POST", "role/bad", {"token_type": "batch", "token_period": 60}, {}),
    ("negative secret_id_num_uses", "POST", "role/bad", {"secret_id_num_uses": -1}, {}),
    ("negative token_num_uses", "POST", "role/bad", {"token_num_uses": -1}, {}),
    ("role without constraints", "POST", "role/bad", {"bind_secret_id": False}, {}),
    ("bad token_bound_cidrs", "POST", "role/bad", {"token_bound_cidrs": "bad"}, {}),
    ("bad secret_id_bound_cidrs", "POST", "role/bad", {"secret_id_bound_cidrs": "bad"}, {}),
    ("token_policies as object", "POST", "role/bad", {"token_policies": {"a": 1}}, {}),
    ("bad role stays absent", "GET", "role/bad", None, {}),
    ("create role with string numbers and cidrs", "POST", "role/typed",
     {"token_num_uses": "3", "token_ttl": "90", "bind_secret_id": "true",
      "token_bound_cidrs": ["127.0.0.1", "10.0.0.0/8"], "secret_id_bound_cidrs": "127.0.0.0/8, 10.0.0.0/8",
      "token_type": "service"}, {}),
    ("read typed role", "GET", "role/typed", None, {}),
    ("default-service token_type warns", "POST", "role/typed", {"token_type": "default-service"}, {}),
    ("local_secret_ids only at creation", "POST", "role/typed", {"local_secret_ids": True}, {}),
    ("read generated role_id", "GET", "role/web/role-id", None, {"rid_web": "data.role_id"}),
    ("set role_id", "POST", "role/web/role-id", {"role_id": "web-rid"}, {}),
    ("read set role_id", "GET", "role/web/role-id", None, {}),
    ("role_id already in use", "POST", "role/legacy/role-id", {"role_id": "web-rid"}, {}),
    ("role_id missing", "POST", "role/legacy/role-id", {}, {}),
    ("role_id of unknown role", "POST", "role/nope/role-id", {"role_id": "zz"}, {}),
    ("read role_id of unknown role", "GET", "role/nope/role-id", None, {}),
    ("role_id of wrong type", "POST", "role/legacy/role-id", {"role_id": {"a": 1}}, {}),
    ("secret-id with metadata, uses and ttl", "POST", "role/web/secret-id",
     {"metadata": "{\"env\":\"prod\"}", "num_uses": 2, "ttl": "5m"}, {"sid1": "data.secret_id", "acc1": "data.secret_id_accessor"}),
    ("secret-id with role defaults", "POST", "role/web/secret-id", {}, {"sid2": "data.secret_id", "acc2": "data.secret_id_accessor"}),
    ("secret-id with key=value metadata and cidr", "POST", "role/web/secret-id",
     {"metadata": "a=b,c=d", "cidr_list": "127.0.0.0/8"}, {"sid3": "data.secret_id", "acc3": "data.secret_id_accessor"}),
    ("secret-id negative num_uses", "POST", "role/web/secret-id", {"num_uses": -1}, {}),
    ("secret-id ttl above role's", "POST", "role/web/secret-id", {"ttl": "20m"}, {}),
    ("secret-id bad ttl", "POST", "role/web/secret-id", {"ttl": "abc"}, {}),
    ("secret-id bad num_uses", "POST", "role/web/secret-id", {"num_uses": "x"}, {}),
    ("secret-id metadata not parseable", "POST", "role/web/secret-id", {"metadata": "notjson"}, {}),
    ("secret-id metadata as object", "POST", "role/web/secret-id", {"metadata": {"a": "b"}}, {}),
    ("secret-id bad cidr_list", "POST", "role/web/secret-id", {"cidr_list": "bad"}, {}),
    ("secret-id for unknown role", "POST", "role/nope/secret-id", {}, {}),
    ("list secret-id accessors", "LIST", "role/web/secret-id", None, {}),
    ("list accessors of role without secret-ids", "LIST", "role/legacy/secret-id", None, {}),
    ("list accessors of unknown role", "LIST", "role/nope/secret-id", None, {}),
    ("lookup secret-id", "POST", "role/web/secret-id/lookup", {"secret_id": "${sid1}"}, {}),
    ("lookup secret-id with key=value metadata", "POST", "role/web/secret-id/lookup", {"secret_id": "${sid3}"}, {}),
    ("lookup unknown secret-id", "POST", "role/web/secret-id/lookup", {"secret_id": ZERO}, {}),
    ("lookup without secret_id", "POST", "role/web/secret-id/lookup", {}, {}),
    ("lookup secret_id of wrong type", "POST", "role/web/secret-id/lookup", {"secret_id": ["a"]}, {}),
    ("lookup on unknown role", "POST", "role/nope/secret-id/lookup", {"secret_id": "x"}, {}),
    ("lookup by accessor", "POST", "role/web/secret-id-accessor/lookup", {"secret_id_accessor": "${acc1}"}, {}),
    ("lookup by unknown accessor", "POST", "role/web/secret-id-accessor/lookup", {"secret_id_accessor": ZERO}, {}),
    ("lookup by accessor without accessor", "POST", "role/web/secret-id-accessor/lookup", {}, {}),
    ("custom secret-id", "POST", "role/web/custom-secret-id", {"secret_id": CUSTOM}, {}),
    ("custom secret-id again", "POST", "role/web/custom-secret-id", {"secret_id": CUSTOM}, {}),
    ("custom secret-id missing", "POST", "role/web/custom-secret-id", {}, {}),
    ("login with 2-use secret-id", "POST", "login", {"role_id": "web-rid", "secret_id": "${sid1}"}, {}),
    ("lookup after one use", "POST", "role/web/secret-id/lookup", {"secret_id": "${sid1}"}, {}),
    ("login spends last use", "POST", "login", {"role_id": "web-rid", "secret_id": "${sid1}"}, {}),
    ("login with exhausted secret-id", "POST", "login", {"role_id": "web-rid", "secret_id": "${sid1}"}, {}),
    ("lookup exhausted secret-id", "POST", "role/web/secret-id/lookup", {"secret_id": "${sid1}"}, {}),
    ("login with custom secret-id", "POST", "login", {"role_id": "web-rid", "secret_id": CUSTOM}, {}),
    ("login with cidr-bound secret-id from inside", "POST", "login", {"role_id": "web-rid", "secret_id": "${sid3}"}, {}),
    ("login with wrong secret-id", "POST", "login", {"role_id": "web-rid", "secret_id": ZERO}, {}),
    ("login with wrong role_id", "POST", "login", {"role_id": "nobody", "secret_id": "${sid2}"}, {}),
    ("login with numeric role_id", "POST", "login", {"role_id": 5, "secret_id": "${sid2}"}, {}),
    ("login without role_id", "POST", "login", {}, {}),
    ("login without secret_id", "POST", "login", {"role_id": "web-rid"}, {}),
    ("login with role_id of wrong type", "POST", "login", {"role_id": {"a": 1}}, {}),
    ("login with padded credentials", "POST", "login", {"role_id": " web-rid ", "secret_id": " ${sid2} "}, {}),
    ("secret-id bound to 10/8", "POST", "role/web/secret-id", {"cidr_list": "10.0.0.0/8"}, {"sid_far": "data.secret_id"}),
    ("login from outside secret-id cidr", "POST", "login", {"role_id": "web-rid", "secret_id": "${sid_far}"}, {}),
    ("limited secret-id bound to 10/8", "POST", "role/web/secret-id",
     {"cidr_list": "10.0.0.0/8", "num_uses": 2}, {"sid_far2": "data.secret_id"}),
    ("login from outside limited secret-id cidr", "POST", "login", {"role_id": "web-rid", "secret_id": "${sid_far2}"}, {}),
    ("the refused login spent a use", "POST", "role/web/secret-id/lookup", {"secret_id": "${sid_far2}"}, {}),
    ("create role bound to 10/8", "POST", "role/far", {"secret_id_bound_cidrs": "10.0.0.0/8", "token_policies": "c"}, {}),
    ("role_id of far", "POST", "role/far/role-id", {"role_id": "far-rid"}, {}),
    ("secret-id on far", "POST", "role/far/secret-id", {}, {"sid_role_far": "data.secret_id"}),
    ("secret-id cidr outside role's", "POST", "role/far/secret-id", {"cidr_list": "192.168.0.0/16"}, {}),
    ("login from outside role cidr", "POST", "login", {"role_id": "far-rid", "secret_id": "${sid_role_far}"}, {}),
    ("create role without secret-id", "POST", "role/open",
     {"bind_secret_id": False, "secret_id_bound_cidrs": "127.0.0.0/8", "token_policies": "o", "token_type": "batch"}, {}),
    ("role_id of open", "POST", "role/open/role-id", {"role_id": "open-rid"}, {}),
    ("login with role_id only", "POST", "login", {"role_id": "open-rid"}, {}),
    ("secret-id on role without bind_secret_id", "POST", "role/open/secret-id", {}, {}),
    ("role with token_bound_cidrs", "POST", "role/tb",
     {"token_bound_cidrs": "127.0.0.0/8", "token_policies": "t", "token_no_default_policy": True}, {}),
    ("role_id of tb", "POST", "role/tb/role-id", {"role_id": "tb-rid"}, {}),
    ("secret-id with token_bound_cidrs", "POST", "role/tb/secret-id",
     {"token_bound_cidrs": "127.0.0.1/32"}, {"sid_tb": "data.secret_id", "acc_tb": "data.secret_id_accessor"}),
    ("lookup secret-id with token_bound_cidrs", "POST", "role/tb/secret-id/lookup", {"secret_id": "${sid_tb}"}, {}),
    ("secret-id token cidrs outside role's", "POST", "role/tb/secret-id", {"token_bound_cidrs": "10.0.0.0/8"}, {}),
    ("login with token-bound secret-id", "POST", "login", {"role_id": "tb-rid", "secret_id": "${sid_tb}"}, {}),
    ("destroy secret-id", "POST", "role/web/secret-id/destroy", {"secret_id": "${sid2}"}, {}),
    ("destroy secret-id again", "POST", "role/web/secret-id/destroy", {"secret_id": "${sid2}"}, {}),
    ("lookup destroyed secret-id", "POST", "role/web/secret-id/lookup", {"secret_id": "${sid2}"}, {}),
    ("destroy without secret_id", "POST", "role/web/secret-id/destroy", {}, {}),
    ("destroy on unknown role", "POST", "role/nope/secret-id/destroy", {"secret_id": "x"}, {}),
    ("destroy by accessor", "POST", "role/web/secret-id-accessor/destroy", {"secret_id_accessor": "${acc3}"}, {}),
    ("destroy by accessor again", "POST", "role/web/secret-id-accessor/destroy", {"secret_id_accessor": "${acc3}"}, {}),
    ("login with secret-id destroyed by accessor", "POST", "login", {"role_id": "web-rid", "secret_id": "${sid3}"}, {}),
    ("destroy by accessor of another role", "POST", "role/web/secret-id-accessor/destroy",
     {"secret_id_accessor": "${acc_tb}"}, {}),
    ("delete by DELETE method", "DELETE", "role/tb/secret-id-accessor/destroy", {"secret_id_accessor": "${acc_tb}"}, {}),
    ("per-field read secret-id-num-uses", "GET", "role/far/secret-id-num-uses", None, {}),
    ("per-field write secret-id-num-uses", "POST", "role/far/secret-id-num-uses", {"secret_id_num_uses": 5}, {}),
    ("per-field read after write", "GET", "role/far/secret-id-num-uses", None, {}),
    ("per-field write without value", "POST", "role/far/secret-id-num-uses", {}, {}),
    ("per-field read policies", "GET", "role/far/policies", None, {}),
    ("per-field write policies", "POST", "role/far/policies", {"token_policies": "Z,y"}, {}),
    ("per-field read policies after write", "GET", "role/far/policies", None, {}),
    ("per-field read token-ttl", "GET", "role/web/token-ttl", None, {}),
    ("per-field delete token-ttl", "DELETE", "role/web/token-ttl", None, {}),
    ("per-field read token-ttl after delete", "GET", "role/web/token-ttl", None, {}),
    ("per-field read bind-secret-id", "GET", "role/open/bind-secret-id", None, {}),
    ("per-field read on unknown role", "GET", "role/nope/secret-id-ttl", None, {}),
    ("local secret-ids role", "POST", "role/local", {"local_secret_ids": True, "token_type": "default-batch"}, {}),
    ("read local secret-ids role", "GET", "role/local", None, {}),
    ("per-field read local-secret-ids", "GET", "role/local/local-secret-ids", None, {}),
    ("role_id of local", "POST", "role/local/role-id", {"role_id": "local-rid"}, {}),
    ("custom secret-id on local role with uses and metadata", "POST", "role/local/custom-secret-id",
     {"secret_id": "local-secret-1", "num_uses": 1, "metadata": "k=v"}, {"acc_local": "data.secret_id_accessor"}),
    ("lookup local secret-id by accessor", "POST", "role/local/secret-id-accessor/lookup",
     {"secret_id_accessor": "${acc_local}"}, {}),
    ("login on local role", "POST", "login", {"role_id": "local-rid", "secret_id": "local-secret-1"}, {}),
    ("local secret-id spent", "POST", "login", {"role_id": "local-rid", "secret_id": "local-secret-1"}, {}),
    ("secret-id of one role with another's role_id", "POST", "login", {"role_id": "local-rid", "secret_id": CUSTOM}, {}),
    ("legacy period above mount max", "POST", "role/long", {"period": "800h"}, {}),
    ("token_max_ttl above mount max warns", "POST", "role/long", {"token_max_ttl": "800h"}, {}),
    ("secret_id_ttl above mount max", "POST", "role/long", {"secret_id_ttl": "800h", "token_strictly_bind_ip": True}, {}),
    ("read long role", "GET", "role/long", None, {}),
    ("secret-id ttl capped at mount max", "POST", "role/long/secret-id", {}, {}),
    ("strictly bind ip with token_bound_cidrs", "POST", "role/long", {"token_bound_cidrs": "127.0.0.1"}, {}),
    ("per-field write secret-id-bound-cidrs", "POST", "role/long/secret-id-bound-cidrs",
     {"secret_id_bound_cidrs": "127.0.0.0/8"}, {}),
    ("per-field read secret-id-bound-cidrs", "GET", "role/long/secret-id-bound-cidrs", None, {}),
    ("per-field write bad secret-id-bound-cidrs", "POST", "role/long/secret-id-bound-cidrs",
     {"secret_id_bound_cidrs": "bad"}, {}),
    ("per-field read token-bound-cidrs", "GET", "role/long/token-bound-cidrs", None, {}),
    ("per-field write secret-id-ttl", "POST", "role/long/secret-id-ttl", {"secret_id_ttl": "2h"}, {}),
    ("per-field read secret-id-ttl", "GET", "role/long/secret-id-ttl", None, {}),
    ("per-field read period", "GET", "role/long/period", None, {}),
    ("per-field write period", "POST", "role/long/period", {"period": "1h"}, {}),
    ("per-field read period after write", "GET", "role/long/period", None, {}),
    ("per-field write token-max-ttl below token-ttl", "POST", "role/web/token-max-ttl", {"token_max_ttl": 10}, {}),
    ("per-field write token-num-uses", "POST", "role/long/token-num-uses", {"token_num_uses": 7}, {}),
    ("per-field read token-num-uses", "GET", "role/long/token-num-uses", None, {}),
    ("list roles with trailing slash", "LIST", "role/", None, {}),
    ("create role with given role_id and secret-id limits", "POST", "role/given",
     {"role_id": "given-rid", "secret_id_num_uses": 2, "secret_id_ttl": 120}, {}),
    ("read given role_id", "GET", "role/given/role-id", None, {}),
    ("secret-id num_uses above role's", "POST", "role/given/secret-id", {"num_uses": 3}, {}),
    ("secret-id unlimited under a role limit", "POST", "role/given/secret-id", {"num_uses": 0}, {}),
    ("secret-id with role's limits", "POST", "role/given/secret-id", {}, {}),
    ("role with a taken role_id", "POST", "role/given2", {"role_id": "given-rid"}, {}),
    ("list roles paginated", "LIST", "role?after=far&limit=2", None, {}),
    ("list roles after the last", "LIST", "role?after=zzz", None, {}),
    ("tidy", "POST", "tidy/secret-id", None, {}),
    ("secret-ids survive tidy", "POST", "login", {"role_id": "web-rid", "secret_id": CUSTOM}, {}),
    ("read on list-only path", "GET", "role/web/secret-id", None, {}),
    ("delete role legacy", "DELETE", "role/legacy", None, {}),
    ("read deleted role", "GET", "role/legacy", None, {}),
    ("delete deleted role", "DELETE", "role/legacy", None, {}),
    ("delete role web", "DELETE", "role/web", None, {}),
    ("login after role deleted", "POST", "login", {"role_id": "web-rid", "secret_id": CUSTOM}, {}),
    ("list roles at the end", "LIST", "role", None, {}),
]

# Answers Coffer gives on purpose in another form; the Swift replay honours this list.
INTENDED_DIFFERENCES = {
    "tidy": "warning names Coffer's server logs; Coffer tidies before answering",
    "read on list-only path": "405 body: Coffer answers 'unsupported operation' without Go's multierror wrapping",
    "destroy by accessor of another role": "403 body: Coffer's CoreError.permissionDenied says 'permission denied'",
}

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def normalise(value):
    """Volatile values become placeholders; the shape and everything else stay."""
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str):
        text = UUID.sub("<uuid>", value)
        if not text.startswith("0001-01-01"):
            text = TIME.sub("<time>", text)
        return text
    return value


def substitute(value, env):
    if isinstance(value, dict):
        return {k: substitute(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, env) for v in value]
    if isinstance(value, str):
        return re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], value)
    return value


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(addr, method, path, body, token="root"):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{addr}/v1/{path}", data=data, method=method)
    if token:
        req.add_header("X-Vault-Token", token)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
            status = resp.status
    except urllib.error.HTTPError as err:
        raw = err.read()
        status = err.code
    return status, (json.loads(raw) if raw.strip() else None)


def summarise(doc):
    """The parts of an answer a backend decides: data, errors, warnings, auth."""
    if doc is None:
        return None
    out = {}
    for key in ("data", "errors", "warnings"):
        if key in doc:
            out[key] = doc[key]
    auth = doc.get("auth")
    if auth:
        out["auth"] = {k: auth[k] for k in ("policies", "token_policies", "metadata", "lease_duration",
                                           "renewable", "token_type", "num_uses", "orphan") if k in auth}
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default="bao", help="server binary (default: bao)")
    parser.add_argument("--out", default=os.path.join(HERE, "cases.json"))
    args = parser.parse_args()
    port = free_port()
    addr = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [args.binary, "server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                if call(addr, "GET", "sys/health", None, token=None)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        status, _ = call(addr, "POST", "sys/auth/approle", {"type": "approle"})
        assert status == 204, status
        env = {}
        cases = []
        for name, method, path, body, save in STEPS:
            sent = substitute(body, env)
            token = None if path == "login" else "root"
            status, doc = call(addr, method, "auth/approle/" + path, sent, token)
            for var, dotted in save.items():
                node = doc
                for part in dotted.split("."):
                    node = node[part]
                env[var] = node
            if status == 200 and doc and doc.get("auth"):
                # Coffer's login hands the core a LoginAuth; keep what the token needs.
                pass
            cases.append({
                "name": name, "method": method, "path": path, "body": body, "save": save,
                "status": status, "response": normalise(summarise(doc)),
            })
        out = {
            "openbao": subprocess.run([args.binary, "version"], capture_output=True, text=True).stdout.strip(),
            "mount": "auth/approle/",
            "remote_address": "127.0.0.1",
            "intended_differences": INTENDED_DIFFERENCES,
            "cases": cases,
        }
        with open(args.out, "w") as f:
            json.dump(out, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"recorded {len(cases)} cases", file=sys.stderr)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
