"""The checkers must be able to fail: known-bad histories are rejected, their repaired twins accepted."""

import json
import subprocess

from harness import checker
from harness.history import History, malformed, read_history


def ev(type_, process, f, key, value, time, **extra):
    return dict(type=type_, process=process, f=f, key=key, value=value, time=time, **extra)


def write_history(path, events):
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    return path


def run_lincheck(lincheck, path):
    out = subprocess.run([lincheck, str(path)], capture_output=True, text=True)
    return out.returncode, json.loads(out.stdout)


# A write of 2 completes, then a later read returns the overwritten 1: a stale read.
STALE_READ = [
    ev("invoke", 0, "write", "k0g0", "1", 0), ev("ok", 0, "write", "k0g0", "1", 10),
    ev("info", "nemesis", "start", None, {"faults": ["partition-leader"]}, 12),
    ev("invoke", 1, "write", "k0g0", "2", 20), ev("ok", 1, "write", "k0g0", "2", 30),
    ev("invoke", 2, "read", "k0g0", None, 40), ev("ok", 2, "read", "k0g0", "1", 50),
    ev("invoke", 3, "write", "other", "x", 41), ev("ok", 3, "write", "other", "x", 42),
]


def test_lincheck_rejects_a_stale_read(lincheck, tmp_path):
    code, report = run_lincheck(lincheck, write_history(tmp_path / "h.jsonl", STALE_READ))
    assert code == 1 and report["valid"] is False
    verdicts = {k["key"]: k["valid"] for k in report["keys"]}
    assert verdicts == {"k0g0": False, "other": True}


def test_lincheck_accepts_the_same_read_when_it_overlaps_the_write(lincheck, tmp_path):
    history = [dict(e) for e in STALE_READ]
    history[5]["time"] = 25  # the read now begins while the write of 2 is still in flight
    code, report = run_lincheck(lincheck, write_history(tmp_path / "h.jsonl", history))
    assert code == 0 and report["valid"] is True


def test_lincheck_lets_an_indeterminate_write_take_effect_late(lincheck, tmp_path):
    history = [
        ev("invoke", 0, "write", "k", "1", 0), ev("ok", 0, "write", "k", "1", 10),
        ev("invoke", 1, "write", "k", "2", 20), ev("info", 1, "write", "k", "2", 30, error="timeout"),
        ev("invoke", 2, "read", "k", None, 40), ev("ok", 2, "read", "k", "1", 50),
        ev("invoke", 2, "read", "k", None, 60), ev("ok", 2, "read", "k", "2", 70),
    ]
    code, _ = run_lincheck(lincheck, write_history(tmp_path / "h.jsonl", history))
    assert code == 0
    # ... but a failed write never takes effect: reading its value is a violation.
    history[3] = ev("fail", 1, "write", "k", "2", 30, error="refused")
    code, _ = run_lincheck(lincheck, write_history(tmp_path / "h.jsonl", history))
    assert code == 1


def test_lincheck_holds_cas_to_the_register(lincheck, tmp_path):
    # Two CAS from the same expected value cannot both succeed.
    history = [
        ev("invoke", 0, "write", "k", "a", 0), ev("ok", 0, "write", "k", "a", 1),
        ev("invoke", 1, "cas", "k", ["a", "b"], 2), ev("invoke", 2, "cas", "k", ["a", "c"], 2),
        ev("ok", 1, "cas", "k", ["a", "b"], 5), ev("ok", 2, "cas", "k", ["a", "c"], 5),
    ]
    code, _ = run_lincheck(lincheck, write_history(tmp_path / "h.jsonl", history))
    assert code == 1
    history[5] = ev("fail", 2, "cas", "k", ["a", "c"], 5, error="check-and-set mismatch")
    code, _ = run_lincheck(lincheck, write_history(tmp_path / "h.jsonl", history))
    assert code == 0


def test_the_harness_history_format_is_what_lincheck_reads(lincheck, tmp_path):
    history = History(tmp_path / "h.jsonl")
    a = history.invoke(0, "write", "n1", key="k", value="v1")
    history.complete(a, "ok")
    history.nemesis("start", {"faults": ["kill-leader"]})
    b = history.invoke(1, "read", "n2", key="k")
    history.complete(b, "ok", value="v0")  # a value never written
    history.close()
    assert len(read_history(tmp_path / "h.jsonl")) == 5
    verdict = checker.linearizable(tmp_path / "h.jsonl", lincheck)
    assert verdict["valid"] is False


ADDS = [
    ev("invoke", 0, "add", "e1", "e1", 0), ev("ok", 0, "add", "e1", "e1", 1),
    ev("invoke", 0, "add", "e2", "e2", 2), ev("ok", 0, "add", "e2", "e2", 3),
    ev("invoke", 1, "add", "e3", "e3", 2), ev("info", 1, "add", "e3", "e3", 9, error="timeout"),
    ev("invoke", 2, "add", "e4", "e4", 2), ev("fail", 2, "add", "e4", "e4", 9, error="refused"),
]


def test_lost_write_is_reported():
    verdict = checker.lost_writes(ADDS, ["e1", "e3"])
    assert verdict["valid"] is False and verdict["lost"] == ["e2"]


def test_no_lost_write_when_every_acknowledged_add_is_there():
    verdict = checker.lost_writes(ADDS, ["e1", "e2"])
    assert verdict["valid"] is True and verdict["recovered_indeterminate"] == 0
    assert checker.lost_writes(ADDS, ["e1", "e2", "e3"])["recovered_indeterminate"] == 1


def test_an_element_never_attempted_is_reported():
    assert checker.lost_writes(ADDS, ["e1", "e2", "ghost"])["valid"] is False


def test_unknown_when_the_final_read_failed():
    assert checker.lost_writes(ADDS, None)["valid"] == "unknown"


def unwrap_history(second_outcome):
    return [
        ev("invoke", 0, "wrap", "p1", "p1", 0), ev("ok", 0, "wrap", "p1", "tok", 1),
        ev("invoke", 1, "unwrap", "tok", None, 2), ev("invoke", 2, "unwrap", "tok", None, 2),
        ev("ok", 1, "unwrap", "tok", "p1", 3), ev(second_outcome, 2, "unwrap", "tok", "p1", 4),
    ]


def test_a_wrapping_token_unwrapped_twice_is_reported():
    assert checker.single_use(unwrap_history("ok"), 2)["unwrapped_more_than_once"] == ["tok"]
    assert checker.single_use(unwrap_history("fail"), 2)["valid"] is True


def test_an_unwrap_returning_another_payload_is_reported():
    history = unwrap_history("fail")
    history[4] = ev("ok", 1, "unwrap", "tok", "p2", 3)
    assert checker.single_use(history, 2)["unwrap_wrong_payload"] == ["tok"]


def test_a_secret_id_used_past_num_uses_is_reported():
    logins = []
    for process in range(3):
        logins += [ev("invoke", process, "login", "sid", 2, process), ev("ok", process, "login", "sid", None, 10)]
    assert checker.single_use(logins, 2)["secret_ids_over_num_uses"] == ["sid"]
    assert checker.single_use(logins[:4], 2)["valid"] is True


def test_divergent_nodes_are_reported():
    same = {"raft_applied_index": 7, "raft_state_hash": None}
    contents = {"n1": {"k": "1"}, "n2": {"k": "1"}}
    assert checker.converged({"n1": same, "n2": same}, contents)["valid"] is True
    behind = {"raft_applied_index": 6, "raft_state_hash": None}
    assert checker.converged({"n1": same, "n2": behind}, contents)["valid"] is False
    assert checker.converged({"n1": same, "n2": same}, {"n1": {"k": "1"}, "n2": {"k": "2"}})["valid"] is False
    assert checker.converged({"n1": same, "n2": None}, contents)["valid"] is False


def test_a_process_with_two_open_operations_is_a_harness_error():
    good = [dict(e, index=i) for i, e in enumerate(ADDS)]
    assert malformed(good) == []
    bad = good[:1] + [dict(good[2], process=0, index=1)]
    assert len(malformed(bad)) == 1
