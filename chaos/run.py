#!/usr/bin/env python3
"""Chaos run against a real cluster on loopback: start N nodes behind the fault proxy, drive the workload,
inject the scheduled faults, heal, read the final state, check the history, and write the report.

  chaos/run.py smoke [--server coffer|bao]          every fault kind once on 3 nodes, about two minutes
  chaos/run.py run --duration 600 --nodes 5 --nemesis kill-leader,partition-halves+pause-leader ...

Exit status: 0 every checker passed, 1 a checker found a violation, 2 undecided or harness failure,
77 the server has no cluster mode (CI skips while that is so)."""

import argparse
import json
import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import checker, nemesis, report  # noqa: E402
from harness.cluster import Cluster, ClusterUnsupported, ROOT  # noqa: E402
from harness.history import History, malformed  # noqa: E402
from harness.processes import ProcessTable  # noqa: E402
from harness.workload import KV_MOUNT, SECRET_ID_USES, Workload  # noqa: E402

CLUSTER_UNAVAILABLE = 77


def arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["smoke", "run"])
    parser.add_argument("--server", choices=["coffer", "bao"], default="coffer")
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--duration", type=float, help="seconds of workload (smoke: enough for every fault)")
    parser.add_argument("--nemesis", default=",".join(nemesis.KINDS),
                        help="comma-separated fault combinations to draw from; '+' joins faults run together")
    parser.add_argument("--fault-seconds", type=float, default=None)
    parser.add_argument("--quiet-seconds", type=float, default=None)
    parser.add_argument("--clients", type=int, default=8, help="client threads (3 of them set/approle/wrap)")
    parser.add_argument("--keys", type=int, default=5)
    parser.add_argument("--rate", type=float, default=40.0, help="most operations a second per client")
    parser.add_argument("--key-seconds", type=float, default=10.0, help="how long a register key is used")
    parser.add_argument("--reads", choices=["any", "active"], default="any",
                        help="register reads to any node (default) or to the node last seen active")
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="environment for the server processes (e.g. a server's debug switch)")
    parser.add_argument("--seed", type=int, default=None, help="COFFER_SEED also sets it")
    parser.add_argument("--out", default=None, help="report folder (default chaos/results/<server>-<seed>)")
    parser.add_argument("--lincheck", default=None, help="coffer-lincheck binary (default: swift build's)")
    return parser.parse_args()


def lincheck_binary(explicit):
    if explicit:
        return explicit
    if os.environ.get("COFFER_LINCHECK") and Path(os.environ["COFFER_LINCHECK"]).exists():
        return os.environ["COFFER_LINCHECK"]
    binary = Path(subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, check=True,
                                 capture_output=True, text=True).stdout.strip()) / "coffer-lincheck"
    if not binary.exists():
        subprocess.run(["swift", "build", "--product", "coffer-lincheck"], cwd=ROOT, check=True)
    return str(binary)


def final_reads(cluster, workload, history):
    """After the heal: each register key read through the active node (into the history, so the checker
    holds it to every acknowledged write), and the set listed."""
    process = 1_000_000_000
    for key in workload.keys:
        for _ in range(20):
            leader = cluster.wait_leader(60)
            type_, _, _ = workload._read(process, leader, key)
            process += 1
            if type_ == "ok":
                break
            time.sleep(0.5)
    for _ in range(20):
        leader = cluster.wait_leader(60)
        answer = leader.call("LIST", f"{KV_MOUNT}/metadata/set/", timeout=10)
        if answer.status == 200:
            elements = answer.body["data"]["keys"]
            history.append(type="info", process="final", f="set-final", value=len(elements))
            return elements
        if answer.status == 404:
            return []
        time.sleep(0.5)
    return None


def node_contents(cluster, workload, node):
    contents = {}
    for key in workload.keys:
        answer = node.call("GET", f"{KV_MOUNT}/data/{key}", timeout=5)
        if answer.status not in (200, 404):
            return None
        contents[key] = (((answer.body or {}).get("data") or {}).get("data") or {}).get("v")
    listing = node.call("LIST", f"{KV_MOUNT}/metadata/set/", timeout=10)
    if listing.status not in (200, 404):
        return None
    contents["set"] = sorted(((listing.body or {}).get("data") or {}).get("keys") or [])
    return contents


def convergence(cluster, workload, seconds=60):
    """Polls until every node reports the same applied state, then compares what each node serves."""
    end = time.time() + seconds
    while True:
        states = {n.name: cluster.applied_state(n) for n in cluster.nodes}
        applied = {(s or {}).get("raft_applied_index") for s in states.values()}
        if None not in states.values() and len(applied) == 1 or time.time() > end:
            break
        time.sleep(1)
    contents = {n.name: node_contents(cluster, workload, n) for n in cluster.nodes}
    return checker.converged(states, contents)


def main():
    args = arguments()
    seed = args.seed if args.seed is not None else int(os.environ.get("COFFER_SEED", random.randrange(1 << 31)))
    combos = nemesis.parse(args.nemesis)
    smoke = args.mode == "smoke"
    fault_s = args.fault_seconds or (6.0 if smoke else 15.0)
    quiet_s = args.quiet_seconds or (4.0 if smoke else 10.0)
    duration = args.duration or (quiet_s + max(1, len(combos)) * (fault_s + quiet_s) if smoke else 300.0)
    schedule = nemesis.plan(combos, seed, duration, fault_s, quiet_s, cycle=smoke)
    # Absolute, because every node runs in its own folder.
    out = Path(args.out or HERE / "results" / f"{args.server}-{args.mode}-{seed}").resolve()
    out.mkdir(parents=True, exist_ok=True)
    # A fresh run in the folder: the harness's own files from an earlier run are removed, nothing else.
    shutil.rmtree(out / "cluster", ignore_errors=True)
    for name in ("history.jsonl", "report.json", "report.md", "plot.png"):
        (out / name).unlink(missing_ok=True)
    command = " ".join(shlex.quote(a) for a in sys.argv)
    print(f"chaos: {args.mode} against {args.server} x{args.nodes}, seed {seed} (replay: --seed {seed}), "
          f"{len(schedule)} faults over {duration:.0f} s; report in {out}", flush=True)

    table = ProcessTable()

    def terminate(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, terminate)

    lincheck = lincheck_binary(args.lincheck)
    harness_errors = []
    history = History(out / "history.jsonl")
    records, final_elements, converged = [], None, {"valid": "unknown", "error": "not reached"}
    workload = None
    proxy_status = None
    try:
        server_env = dict(item.split("=", 1) for item in args.server_env)
        cluster = Cluster(args.server, args.nodes, out / "cluster", table, clock="clock-jump" in args.nemesis,
                          log=print, env=server_env)
        try:
            started = time.time()
            cluster.bootstrap()
            print(f"chaos: cluster of {args.nodes} up in {time.time() - started:.1f} s, "
                  f"leader {cluster.leader().name}", flush=True)
        except ClusterUnsupported as why:
            print(f"chaos: SKIP: {why}", flush=True)
            return CLUSTER_UNAVAILABLE
        except Exception as error:
            harness_errors.append(f"the {args.server} cluster could not be started: {error}")
            print(f"chaos: the {args.server} cluster could not be started: {error}", flush=True)
            return 2
        workload = Workload(cluster, history, seed, clients=args.clients, keys=args.keys, rate=args.rate,
                            reads=args.reads, key_seconds=args.key_seconds)
        workload.start()
        runner = nemesis.Nemesis(cluster, history, seed, schedule, log=lambda m: print("chaos: " + m, flush=True))
        stop = threading.Event()
        began = time.time()
        thread = threading.Thread(target=runner.run, args=(began, stop), daemon=True)
        thread.start()
        time.sleep(max(0.0, began + duration - time.time()))
        thread.join(timeout=5 * (fault_s + 120))  # the last heal (restart + unseal) may run past
        stop.set()
        workload.stop()
        records = runner.records
        harness_errors += runner.errors + workload.errors
        runner.heal_everything()
        cluster.wait_leader(60)
        final_elements = final_reads(cluster, workload, history)
        converged = convergence(cluster, workload)
        # Connections the proxy could not attribute to a node were never cut: the report says how many.
        proxy_status = cluster.proxy_command({"op": "status"})
    except KeyboardInterrupt as why:
        harness_errors.append(f"interrupted: {why}")
    except Exception as error:
        harness_errors.append(f"harness: {error!r}")
    finally:
        left = table.stop_all()
        if left:
            harness_errors.append(f"processes that would not stop: {left}")
        history.close()

    events = history.events()
    harness_errors += [f"history: {problem}" for problem in malformed(events)[:20]]
    checks = {
        "linearizable": checker.linearizable(out / "history.jsonl", lincheck),
        "no_lost_writes": checker.lost_writes(events, final_elements),
        "single_use": checker.single_use(events, SECRET_ID_USES),
        "converged": converged,
    }
    failovers = checker.failover_times(events, records)
    verdicts = [c.get("valid") for c in checks.values()]
    valid = False if False in verdicts else (True if all(v is True for v in verdicts) else "unknown")
    result = {
        "server": args.server, "nodes": args.nodes, "seed": seed, "command": command, "mode": args.mode,
        "duration_s": round(duration, 1), "operations": sum(sum(c.values()) for c in checker.counts(events).values()),
        "valid": valid, "checks": checks, "counts": checker.counts(events), "schedule": records,
        "planned": [{"offset": o, "faults": c, "hold": h} for o, c, h in schedule],
        "failovers": failovers, "proxy": proxy_status,
        "active_seen": workload.active_changes if workload else [],
        "failover": report.failover_summary(failovers), "harness_errors": harness_errors,
    }
    problem = report.plot(events, records, out / "plot.png",
                          f"{args.server} x{args.nodes}, seed {seed}: throughput and latency, faults shaded")
    if problem:
        result["plot"] = problem
    (out / "report.json").write_text(json.dumps(result, indent=2, sort_keys=True, default=str))
    (out / "report.md").write_text(report.markdown(result))
    for name, verdict in checks.items():
        print(f"chaos: {name}: {verdict.get('valid')}", flush=True)
    fo = result["failover"]
    print(f"chaos: {result['operations']} operations, failover median {fo['median_s']} s p99 {fo['p99_s']} s; "
          f"verdict {valid}; report {out / 'report.md'}", flush=True)
    for error in harness_errors:
        print(f"chaos: harness error: {error}", flush=True)
    if valid is False:
        return 1
    return 0 if valid is True and not harness_errors else 2


if __name__ == "__main__":
    sys.exit(main())
