#!/usr/bin/env python3
"""Record OpenBao's answers to a scripted sequence of KV v1/v2 and cubbyhole requests.

Starts a fresh `bao server -dev` on a free loopback port, enables KV v1 at kv1/, replays
CASES in order and writes tests/kv-oracle/cases.json: for each step the request and the
status and JSON body OpenBao answered, with volatile values (times, request ids, tokens)
replaced by placeholders. The EnginesTests target replays the same file against the Swift
backends. Run: python3 tests/kv-oracle/record.py   (needs `bao` 2.7.2 on PATH).
"""
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
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")

# (name, method, path, body, token, sleep seconds before the request)
# token: "root" or "other" (a second token, to show cubbyholes are per token).
CASES = [
    # ---------------------------------------------------------------- KV v2 config
    ("v2 config read defaults", "GET", "secret/config", None, "root", 0),
    ("v2 config write nothing", "POST", "secret/config", {}, "root", 0),
    ("v2 config write bad max_versions", "POST", "secret/config", {"max_versions": "many"}, "root", 0),
    ("v2 config write", "POST", "secret/config",
     {"max_versions": 7, "cas_required": False, "delete_version_after": "1h30m"}, "root", 0),
    ("v2 config read after write", "GET", "secret/config", None, "root", 0),
    ("v2 config disable dva", "POST", "secret/config", {"delete_version_after": "-1s"}, "root", 0),
    ("v2 config read disabled dva", "GET", "secret/config", None, "root", 0),
    ("v2 config reset", "POST", "secret/config", {"max_versions": 0, "delete_version_after": 0}, "root", 0),
    ("v2 config read after reset", "GET", "secret/config", None, "root", 0),
    # ---------------------------------------------------------------- KV v2 data
    ("v2 write foo v1", "POST", "secret/data/foo",
     {"data": {"a": "1", "n": 2, "f": 1.5, "b": {"c": "d", "e": {"f": 1}, "empty": {}}, "l": [1, "x"]}}, "root", 0),
    ("v2 read foo", "GET", "secret/data/foo", None, "root", 0),
    ("v2 cas=0 on existing", "POST", "secret/data/foo", {"data": {"a": "2"}, "options": {"cas": 0}}, "root", 0),
    ("v2 cas=1 matches", "POST", "secret/data/foo", {"data": {"a": "2"}, "options": {"cas": 1}}, "root", 0),
    ("v2 cas=5 mismatch", "POST", "secret/data/foo", {"data": {"a": "3"}, "options": {"cas": 5}}, "root", 0),
    ("v2 cas not a number", "POST", "secret/data/foo", {"data": {"a": "3"}, "options": {"cas": "abc"}}, "root", 0),
    ("v2 cas as string matches", "POST", "secret/data/foo", {"data": {"a": "3"}, "options": {"cas": "2"}}, "root", 0),
    ("v2 write no data", "POST", "secret/data/foo", {"options": {}}, "root", 0),
    ("v2 write data string", "POST", "secret/data/foo", {"data": "nope"}, "root", 0),
    ("v2 write data array", "POST", "secret/data/foo", {"data": [1, 2]}, "root", 0),
    ("v2 write options string", "POST", "secret/data/foo", {"data": {"a": 1}, "options": "x"}, "root", 0),
    ("v2 write unknown field", "POST", "secret/data/bar", {"data": {"k": "v"}, "extra": 1, "more": "x"}, "root", 0),
    ("v2 write cas=0 new key", "POST", "secret/data/new", {"data": {"k": "v"}, "options": {"cas": 0}}, "root", 0),
    ("v2 write empty path", "POST", "secret/data/", {"data": {"k": "v"}}, "root", 0),
    ("v2 read version 1", "GET", "secret/data/foo?version=1", None, "root", 0),
    ("v2 read version 2", "GET", "secret/data/foo?version=2", None, "root", 0),
    ("v2 read version 99", "GET", "secret/data/foo?version=99", None, "root", 0),
    ("v2 read version abc", "GET", "secret/data/foo?version=abc", None, "root", 0),
    ("v2 read version 0 means latest", "GET", "secret/data/foo?version=0", None, "root", 0),
    ("v2 read missing", "GET", "secret/data/missing", None, "root", 0),
    ("v2 subkeys foo", "GET", "secret/subkeys/foo?version=1", None, "root", 0),
    ("v2 subkeys depth 1", "GET", "secret/subkeys/foo?version=1&depth=1", None, "root", 0),
    ("v2 subkeys depth 2", "GET", "secret/subkeys/foo?version=1&depth=2", None, "root", 0),
    ("v2 subkeys missing", "GET", "secret/subkeys/missing", None, "root", 0),
    ("v2 subkeys version 42", "GET", "secret/subkeys/foo?version=42", None, "root", 0),
    # patch
    ("v2 patch foo", "PATCH", "secret/data/foo", {"data": {"a": None, "z": "new", "b": {"c": "D"}}}, "root", 0),
    ("v2 read patched", "GET", "secret/data/foo", None, "root", 0),
    ("v2 patch cas mismatch", "PATCH", "secret/data/foo", {"data": {"z": 1}, "options": {"cas": 1}}, "root", 0),
    ("v2 patch cas match", "PATCH", "secret/data/foo", {"data": {"z": 2}, "options": {"cas": 4}}, "root", 0),
    ("v2 patch missing key", "PATCH", "secret/data/missing", {"data": {"z": 1}}, "root", 0),
    ("v2 patch no data", "PATCH", "secret/data/foo", {"options": {"cas": 5}}, "root", 0),
    # soft delete
    ("v2 delete latest", "DELETE", "secret/data/foo", None, "root", 0),
    ("v2 read deleted latest", "GET", "secret/data/foo", None, "root", 0),
    ("v2 read older version", "GET", "secret/data/foo?version=3", None, "root", 0),
    ("v2 delete latest again", "DELETE", "secret/data/foo", None, "root", 0),
    ("v2 delete missing", "DELETE", "secret/data/missing", None, "root", 0),
    ("v2 patch deleted latest", "PATCH", "secret/data/foo", {"data": {"z": 3}}, "root", 0),
    ("v2 subkeys deleted latest", "GET", "secret/subkeys/foo", None, "root", 0),
    ("v2 undelete 5", "POST", "secret/undelete/foo", {"versions": [5]}, "root", 0),
    ("v2 read undeleted", "GET", "secret/data/foo", None, "root", 0),
    ("v2 delete versions 1,2", "POST", "secret/delete/foo", {"versions": [1, 2]}, "root", 0),
    ("v2 delete versions as string", "POST", "secret/delete/foo", {"versions": "3"}, "root", 0),
    ("v2 read deleted v1", "GET", "secret/data/foo?version=1", None, "root", 0),
    ("v2 delete no versions", "POST", "secret/delete/foo", {}, "root", 0),
    ("v2 delete versions bad", "POST", "secret/delete/foo", {"versions": "x"}, "root", 0),
    ("v2 delete versions missing key", "POST", "secret/delete/missing", {"versions": [1]}, "root", 0),
    ("v2 undelete no versions", "POST", "secret/undelete/foo", {"versions": []}, "root", 0),
    ("v2 undelete comma string", "POST", "secret/undelete/foo", {"versions": "1,3,77"}, "root", 0),
    ("v2 read undeleted v1", "GET", "secret/data/foo?version=1", None, "root", 0),
    ("v2 destroy 2", "POST", "secret/destroy/foo", {"versions": [2]}, "root", 0),
    ("v2 read destroyed v2", "GET", "secret/data/foo?version=2", None, "root", 0),
    ("v2 undelete destroyed v2", "POST", "secret/undelete/foo", {"versions": [2]}, "root", 0),
    ("v2 read destroyed v2 again", "GET", "secret/data/foo?version=2", None, "root", 0),
    ("v2 destroy no versions", "POST", "secret/destroy/foo", {}, "root", 0),
    ("v2 destroy missing key", "POST", "secret/destroy/missing", {"versions": [1]}, "root", 0),
    ("v2 subkeys destroyed", "GET", "secret/subkeys/foo?version=2", None, "root", 0),
    ("v2 metadata foo", "GET", "secret/metadata/foo", None, "root", 0),
    # metadata
    ("v2 metadata write nothing", "POST", "secret/metadata/foo", {}, "root", 0),
    ("v2 metadata write custom", "POST", "secret/metadata/foo",
     {"custom_metadata": {"owner": "ops", "n": 5}}, "root", 0),
    ("v2 read shows custom", "GET", "secret/data/foo", None, "root", 0),
    ("v2 metadata custom empty value", "POST", "secret/metadata/foo",
     {"custom_metadata": {"owner": ""}}, "root", 0),
    ("v2 metadata custom not a map", "POST", "secret/metadata/foo", {"custom_metadata": "x"}, "root", 0),
    ("v2 metadata bad max_versions", "POST", "secret/metadata/foo", {"max_versions": "lots"}, "root", 0),
    ("v2 metadata negative dva", "POST", "secret/metadata/foo", {"delete_version_after": "-5s"}, "root", 0),
    ("v2 metadata max_versions 2", "POST", "secret/metadata/foo", {"max_versions": 2}, "root", 0),
    ("v2 write after max 2", "POST", "secret/data/foo", {"data": {"v": 6}}, "root", 0),
    ("v2 metadata pruned", "GET", "secret/metadata/foo", None, "root", 0),
    ("v2 read pruned version", "GET", "secret/data/foo?version=3", None, "root", 0),
    ("v2 metadata cas_required", "POST", "secret/metadata/foo", {"cas_required": True}, "root", 0),
    ("v2 write without cas required", "POST", "secret/data/foo", {"data": {"v": 7}}, "root", 0),
    ("v2 write with cas required", "POST", "secret/data/foo", {"data": {"v": 7}, "options": {"cas": 6}}, "root", 0),
    ("v2 patch without cas required", "PATCH", "secret/data/foo", {"data": {"v": 8}}, "root", 0),
    ("v2 metadata cas mismatch", "POST", "secret/metadata/foo", {"max_versions": 4, "metadata_cas": 1}, "root", 0),
    ("v2 metadata cas match", "POST", "secret/metadata/foo", {"max_versions": 4, "metadata_cas": 3}, "root", 0),
    ("v2 metadata after cas", "GET", "secret/metadata/foo", None, "root", 0),
    ("v2 metadata patch", "PATCH", "secret/metadata/foo",
     {"custom_metadata": {"owner": None, "team": "sec"}, "cas_required": False}, "root", 0),
    ("v2 metadata after patch", "GET", "secret/metadata/foo", None, "root", 0),
    ("v2 metadata patch missing", "PATCH", "secret/metadata/missing", {"max_versions": 1}, "root", 0),
    ("v2 metadata patch nothing", "PATCH", "secret/metadata/foo", {"unknown": 1}, "root", 0),
    ("v2 metadata create new", "POST", "secret/metadata/fresh",
     {"max_versions": 3, "custom_metadata": {"a": "b"}}, "root", 0),
    ("v2 metadata fresh read", "GET", "secret/metadata/fresh", None, "root", 0),
    ("v2 data fresh read", "GET", "secret/data/fresh", None, "root", 0),
    ("v2 write fresh", "POST", "secret/data/fresh", {"data": {"x": "y"}, "options": {"cas": 0}}, "root", 0),
    ("v2 metadata cas on create nonzero", "POST", "secret/metadata/other",
     {"max_versions": 3, "metadata_cas": 2}, "root", 0),
    # delete_version_after
    ("v2 metadata dva 1s", "POST", "secret/metadata/short", {"delete_version_after": "1s"}, "root", 0),
    ("v2 write short", "POST", "secret/data/short", {"data": {"k": "v"}}, "root", 0),
    ("v2 read short before expiry", "GET", "secret/data/short", None, "root", 0),
    ("v2 metadata short", "GET", "secret/metadata/short", None, "root", 0),
    ("v2 read short after expiry", "GET", "secret/data/short", None, "root", 2.5),
    ("v2 delete expired is no-op", "DELETE", "secret/data/short", None, "root", 0),
    ("v2 undelete short", "POST", "secret/undelete/short", {"versions": [1]}, "root", 0),
    ("v2 read short undeleted", "GET", "secret/data/short", None, "root", 0),
    # list and delete all
    ("v2 write dir/a", "POST", "secret/data/dir/a", {"data": {"k": "v"}}, "root", 0),
    ("v2 write dir/sub/b", "POST", "secret/data/dir/sub/b", {"data": {"k": "v"}}, "root", 0),
    ("v2 list root", "LIST", "secret/metadata/", None, "root", 0),
    ("v2 list metadata no slash", "LIST", "secret/metadata", None, "root", 0),
    ("v2 list dir", "LIST", "secret/metadata/dir", None, "root", 0),
    ("v2 list dir slash", "LIST", "secret/metadata/dir/", None, "root", 0),
    ("v2 list via get", "GET", "secret/metadata/dir/?list=true", None, "root", 0),
    ("v2 list missing", "LIST", "secret/metadata/nothing/", None, "root", 0),
    ("v2 list after and limit", "LIST", "secret/metadata/?after=bar&limit=2", None, "root", 0),
    ("v2 detailed list", "LIST", "secret/detailed-metadata/dir/", None, "root", 0),
    ("v2 read with unknown query", "GET", "secret/data/bar?foo=1", None, "root", 0),
    ("v2 patch data string", "PATCH", "secret/data/bar", {"data": "x"}, "root", 0),
    ("v2 metadata patch bad max_versions", "PATCH", "secret/metadata/bar", {"max_versions": "x"}, "root", 0),
    ("v2 config cas_required", "POST", "secret/config", {"cas_required": True}, "root", 0),
    ("v2 metadata cas_required false mandated", "POST", "secret/metadata/bar", {"cas_required": False}, "root", 0),
    ("v2 write mandated cas missing", "POST", "secret/data/bar", {"data": {"k": 2}}, "root", 0),
    ("v2 config cas_required off", "POST", "secret/config", {"cas_required": "false"}, "root", 0),
    ("v2 config bool string read", "GET", "secret/config", None, "root", 0),
    ("v2 config dva for undelete", "POST", "secret/config", {"delete_version_after": 3600}, "root", 0),
    ("v2 write with mount dva", "POST", "secret/data/bar", {"data": {"k": 3}}, "root", 0),
    ("v2 config dva off", "POST", "secret/config", {"delete_version_after": "0s"}, "root", 0),
    ("v2 undelete with mount dva", "POST", "secret/undelete/bar", {"versions": [1]}, "root", 0),
    ("v2 metadata bar with dva", "GET", "secret/metadata/bar", None, "root", 0),
    ("v2 config dva off again", "POST", "secret/config", {"delete_version_after": "0s"}, "root", 0),
    ("v2 write data null", "POST", "secret/data/nulls", {"data": None}, "root", 0),
    ("v2 read data null", "GET", "secret/data/nulls", None, "root", 0),
    ("v2 write options null", "POST", "secret/data/nulls", {"data": {"a": 1}, "options": None}, "root", 0),
    ("v2 write cas null", "POST", "secret/data/nulls", {"data": {"a": 2}, "options": {"cas": None}}, "root", 0),
    ("v2 write cas true", "POST", "secret/data/nulls", {"data": {"a": 2}, "options": {"cas": True}}, "root", 0),
    ("v2 write cas float", "POST", "secret/data/nulls", {"data": {"a": 2}, "options": {"cas": 2.0}}, "root", 0),
    ("v2 write data list of maps", "POST", "secret/data/nulls", {"data": [{"a": 1}, {"b": 2}]}, "root", 0),
    ("v2 read list of maps", "GET", "secret/data/nulls", None, "root", 0),
    ("v2 read version -1", "GET", "secret/data/nulls?version=-1", None, "root", 0),
    ("v2 subkeys bad depth", "GET", "secret/subkeys/nulls?depth=abc", None, "root", 0),
    ("v2 delete versions mixed", "POST", "secret/delete/nulls", {"versions": [1, "2"]}, "root", 0),
    ("v2 destroy versions number", "POST", "secret/destroy/nulls", {"versions": 3}, "root", 0),
    ("v2 metadata nulls", "GET", "secret/metadata/nulls", None, "root", 0),
    ("v2 metadata custom bool and float", "POST", "secret/metadata/nulls",
     {"custom_metadata": {"b": True, "f": 2.5, "s": "x"}}, "root", 0),
    ("v2 metadata custom read", "GET", "secret/metadata/nulls", None, "root", 0),
    ("v2 metadata custom nested", "POST", "secret/metadata/nulls", {"custom_metadata": {"m": {"x": 1}}}, "root", 0),
    ("v2 metadata custom empty map", "POST", "secret/metadata/nulls", {"custom_metadata": {}}, "root", 0),
    ("v2 metadata custom after empty", "GET", "secret/metadata/nulls", None, "root", 0),
    ("v2 metadata patch custom null", "PATCH", "secret/metadata/nulls",
     {"custom_metadata": {"a": "1", "b": "2"}}, "root", 0),
    ("v2 metadata patch custom remove all", "PATCH", "secret/metadata/nulls", {"custom_metadata": None}, "root", 0),
    ("v2 metadata after remove all", "GET", "secret/metadata/nulls", None, "root", 0),
    ("v2 metadata dva 1h30m", "POST", "secret/metadata/nulls", {"delete_version_after": "1h30m"}, "root", 0),
    ("v2 metadata dva bad", "POST", "secret/metadata/nulls", {"delete_version_after": "soon"}, "root", 0),
    ("v2 metadata bool string", "POST", "secret/metadata/nulls", {"cas_required": "maybe"}, "root", 0),
    ("v2 metadata after dva", "GET", "secret/metadata/nulls", None, "root", 0),
    ("v2 config metadata_cas_required", "POST", "secret/config", {"metadata_cas_required": True}, "root", 0),
    ("v2 metadata write needs metadata_cas", "POST", "secret/metadata/nulls", {"max_versions": 5}, "root", 0),
    ("v2 metadata write metadata_cas ok", "POST", "secret/metadata/nulls",
     {"max_versions": 5, "metadata_cas": 5}, "root", 0),
    ("v2 metadata write mcr false mandated", "POST", "secret/metadata/nulls",
     {"metadata_cas_required": False, "metadata_cas": 6}, "root", 0),
    ("v2 metadata patch needs metadata_cas", "PATCH", "secret/metadata/nulls", {"max_versions": 6}, "root", 0),
    ("v2 config metadata_cas_required off", "POST", "secret/config", {"metadata_cas_required": False}, "root", 0),
    ("v2 metadata after mcas", "GET", "secret/metadata/nulls", None, "root", 0),
    ("v2 list limit only", "LIST", "secret/metadata/?limit=1", None, "root", 0),
    ("v2 read detailed metadata", "GET", "secret/detailed-metadata/dir", None, "root", 0),
    ("v2 write with path field", "POST", "secret/data/pathy", {"data": {"k": 1}, "path": "other"}, "root", 0),
    ("v2 read with path query", "GET", "secret/data/pathy?path=other&zz=1", None, "root", 0),
    ("v2 detailed list root", "LIST", "secret/detailed-metadata/?limit=2", None, "root", 0),
    ("v2 metadata delete foo", "DELETE", "secret/metadata/foo", None, "root", 0),
    ("v2 read after metadata delete", "GET", "secret/data/foo?version=6", None, "root", 0),
    ("v2 metadata read after delete", "GET", "secret/metadata/foo", None, "root", 0),
    ("v2 metadata delete missing", "DELETE", "secret/metadata/foo", None, "root", 0),
    ("v2 list after delete", "LIST", "secret/metadata/", None, "root", 0),
    # wrong paths and operations
    ("v2 invalid path read", "GET", "secret/foo", None, "root", 0),
    ("v2 invalid path write", "POST", "secret/foo", {"a": 1}, "root", 0),
    ("v2 invalid path list", "LIST", "secret/foo", None, "root", 0),
    ("v2 invalid path delete", "DELETE", "secret/foo/bar", None, "root", 0),
    ("v2 root of data", "GET", "secret/data", None, "root", 0),
    ("v2 root of metadata write", "POST", "secret/metadata", {"a": 1}, "root", 0),
    ("v2 read on delete path", "GET", "secret/delete/foo", None, "root", 0),
    ("v2 list on data", "LIST", "secret/data/", None, "root", 0),
    ("v2 delete on config", "DELETE", "secret/config", None, "root", 0),
    ("v2 patch on destroy", "PATCH", "secret/destroy/foo", {"versions": [1]}, "root", 0),
    # ---------------------------------------------------------------- KV v1
    ("v1 write empty", "POST", "kv1/a", {}, "root", 0),
    ("v1 write a", "POST", "kv1/a", {"x": 1, "ttl": "1h", "nested": {"k": [1, 2]}}, "root", 0),
    ("v1 read a", "GET", "kv1/a", None, "root", 0),
    ("v1 read a with query", "GET", "kv1/a?foo=1", None, "root", 0),
    ("v1 write ttl seconds", "POST", "kv1/b", {"x": 1, "ttl": 60}, "root", 0),
    ("v1 read ttl seconds", "GET", "kv1/b", None, "root", 0),
    ("v1 write ttl big", "POST", "kv1/c", {"x": 1, "ttl": "9999h"}, "root", 0),
    ("v1 read ttl big", "GET", "kv1/c", None, "root", 0),
    ("v1 write ttl bogus", "POST", "kv1/d", {"x": 1, "ttl": "bogus"}, "root", 0),
    ("v1 read ttl bogus", "GET", "kv1/d", None, "root", 0),
    ("v1 write lease field", "POST", "kv1/e", {"x": 1, "lease": "30m"}, "root", 0),
    ("v1 read lease field", "GET", "kv1/e", None, "root", 0),
    ("v1 write ttl zero", "POST", "kv1/f", {"x": 1, "ttl": "0"}, "root", 0),
    ("v1 read ttl zero", "GET", "kv1/f", None, "root", 0),
    ("v1 write no ttl", "POST", "kv1/dir/g", {"x": "y"}, "root", 0),
    ("v1 read no ttl", "GET", "kv1/dir/g", None, "root", 0),
    ("v1 overwrite", "PUT", "kv1/dir/g", {"only": True}, "root", 0),
    ("v1 read overwritten", "GET", "kv1/dir/g", None, "root", 0),
    ("v1 list root", "LIST", "kv1/", None, "root", 0),
    ("v1 write to folder", "POST", "kv1/dir/", {"x": 1}, "root", 0),
    ("cubby write to folder", "POST", "cubbyhole/dir/", {"x": 1}, "root", 0),
    ("v1 list dir no slash", "LIST", "kv1/dir", None, "root", 0),
    ("v1 list missing", "LIST", "kv1/nothing/", None, "root", 0),
    ("v1 read missing", "GET", "kv1/missing", None, "root", 0),
    ("v1 delete", "DELETE", "kv1/a", None, "root", 0),
    ("v1 read deleted", "GET", "kv1/a", None, "root", 0),
    ("v1 delete missing", "DELETE", "kv1/a", None, "root", 0),
    ("v1 patch unsupported", "PATCH", "kv1/b", {"x": 2}, "root", 0),
    ("v1 write ttl days", "POST", "kv1/h", {"x": 1, "ttl": "2d"}, "root", 0),
    ("v1 read ttl days", "GET", "kv1/h", None, "root", 0),
    ("v1 write ttl float", "POST", "kv1/i", {"x": 1, "ttl": 90.5}, "root", 0),
    ("v1 read ttl float", "GET", "kv1/i", None, "root", 0),
    ("v1 write ttl negative", "POST", "kv1/j", {"x": 1, "ttl": "-5s"}, "root", 0),
    ("v1 read ttl negative", "GET", "kv1/j", None, "root", 0),
    ("v1 write ttl and lease", "POST", "kv1/k", {"ttl": "bogus", "lease": "1m"}, "root", 0),
    ("v1 read ttl and lease", "GET", "kv1/k", None, "root", 0),
    ("v1 write path field", "POST", "kv1/l", {"path": "elsewhere", "v": 1}, "root", 0),
    ("v1 read path field", "GET", "kv1/l", None, "root", 0),
    ("v1 list via get", "GET", "kv1/dir/?list=true", None, "root", 0),
    # ---------------------------------------------------------------- cubbyhole
    ("cubby root write", "POST", "cubbyhole/x", {"a": 1, "ttl": "1h"}, "root", 0),
    ("cubby other read root's", "GET", "cubbyhole/x", None, "other", 0),
    ("cubby other write", "POST", "cubbyhole/x", {"b": 2}, "other", 0),
    ("cubby root read", "GET", "cubbyhole/x", None, "root", 0),
    ("cubby other read", "GET", "cubbyhole/x", None, "other", 0),
    ("cubby root write dir", "POST", "cubbyhole/dir/y", {"c": 3}, "root", 0),
    ("cubby root list", "LIST", "cubbyhole/", None, "root", 0),
    ("cubby root list dir", "LIST", "cubbyhole/dir", None, "root", 0),
    ("cubby other list", "LIST", "cubbyhole/", None, "other", 0),
    ("cubby other list dir", "LIST", "cubbyhole/dir/", None, "other", 0),
    ("cubby write empty", "POST", "cubbyhole/z", {}, "root", 0),
    ("cubby read root path", "GET", "cubbyhole/", None, "root", 0),
    ("cubby read missing", "GET", "cubbyhole/none", None, "root", 0),
    ("cubby other delete", "DELETE", "cubbyhole/x", None, "other", 0),
    ("cubby other read deleted", "GET", "cubbyhole/x", None, "other", 0),
    ("cubby root still there", "GET", "cubbyhole/x", None, "root", 0),
    ("cubby patch unsupported", "PATCH", "cubbyhole/x", {"a": 2}, "root", 0),
    ("cubby read with query", "GET", "cubbyhole/x?foo=bar", None, "root", 0),
    ("cubby list missing", "LIST", "cubbyhole/nothing/", None, "root", 0),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body, token, content_type=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + "/v1/" + path, data=data, method=method)
    req.add_header("X-Vault-Token", token)
    if content_type:
        req.add_header("Content-Type", content_type)
    elif body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def normalise(value):
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items() if k != "request_id"}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str) and TIME_RE.match(value):
        return "<time>"
    return value


def main():
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, VAULT_ADDR=base, BAO_ADDR=base, VAULT_TOKEN="root", BAO_TOKEN="root")
    server = subprocess.Popen(
        ["bao", "server", "-dev", "-dev-root-token-id=root", f"-dev-listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        for _ in range(100):
            try:
                status, _ = call(base, "GET", "sys/health", None, "root")
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        status, _ = call(base, "POST", "sys/mounts/kv1", {"type": "kv", "options": {"version": "1"}}, "root")
        assert status == 204, status
        status, text = call(base, "POST", "auth/token/create", {"policies": ["root"]}, "root")
        assert status == 200, (status, text)
        tokens = {"root": "root", "other": json.loads(text)["auth"]["client_token"]}

        recorded = []
        for name, method, path, body, token, sleep in CASES:
            if sleep:
                time.sleep(sleep)
            content_type = "application/merge-patch+json" if method == "PATCH" else None
            status, text = call(base, method, path, body, tokens[token], content_type)
            try:
                response = normalise(json.loads(text)) if text.strip() else None
            except json.JSONDecodeError:
                response = {"<raw>": text}
            recorded.append({
                "name": name, "method": method, "path": path, "body": body, "token": token,
                "sleep": sleep, "status": status, "response": response,
            })
        with open(os.path.join(HERE, "cases.json"), "w") as out:
            json.dump({"openbao": "2.7.2", "cases": recorded}, out, indent=1, sort_keys=True)
            out.write("\n")
        print(f"recorded {len(recorded)} cases", file=sys.stderr)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
