"""The run's report: report.json (everything), report.md (for people), plot.png (throughput and latency
over time with the faults shaded)."""

import json
import statistics

from .history import pair


VERDICTS = {True: "PASS", False: "FAIL"}


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def failover_summary(failovers):
    seconds = [f["seconds"] for f in failovers if f["seconds"] is not None]
    by_kind = {}
    for f in failovers:
        by_kind.setdefault(f["faults"], []).append(f["seconds"])
    return {
        "faults": len(failovers),
        "measured": len(seconds),
        "median_s": statistics.median(seconds) if seconds else None,
        "p99_s": percentile(seconds, 0.99),
        "max_s": max(seconds) if seconds else None,
        "by_fault": by_kind,
    }


def markdown(report):
    lines = [f"# chaos run: {report['server']} x{report['nodes']}, seed {report['seed']}", "",
             f"- command: `{report['command']}`",
             f"- duration: {report['duration_s']} s of workload, {report['operations']} operations",
             f"- verdict: **{VERDICTS.get(report['valid'], 'UNKNOWN')}**",
             "", "## Checkers", ""]
    for name, verdict in report["checks"].items():
        lines.append(f"- {name}: {verdict.get('valid')}")
    lines += ["", "## Operations by outcome", "", "| f | ok | fail | info | open |", "|---|---|---|---|---|"]
    for f, c in report["counts"].items():
        lines.append(f"| {f} | {c.get('ok', 0)} | {c.get('fail', 0)} | {c.get('info', 0)} | {c.get('open', 0)} |")
    fo = report["failover"]
    lines += ["", "## Failover (fault start to first acknowledged write invoked after it)", "",
              f"median {fo['median_s']} s, p99 {fo['p99_s']} s, max {fo['max_s']} s over {fo['measured']} faults", "",
              "| at (s) | faults | details | skipped | failover (s) |", "|---|---|---|---|---|"]
    for record, f in zip(report["schedule"], report["failovers"]):
        lines.append(f"| {record['offset']:.0f} | {'+'.join(record['faults'])} | {json.dumps(record['details'])} "
                     f"| {json.dumps(record['skipped']) if record['skipped'] else ''} | {f['seconds']} |")
    proxy = report.get("proxy") or {}
    lines += ["", f"Cluster proxy: {proxy.get('connections')} connections, {proxy.get('unidentified')} not attributed "
              f"to a node (never cut), {proxy.get('held_bytes')} bytes held by partitions."]
    if report["harness_errors"]:
        lines += ["", "## Harness errors", ""] + [f"- {e}" for e in report["harness_errors"]]
    lines += ["", "Files: history.jsonl (Jepsen-shaped events), report.json, plot.png, cluster/*/server.log"]
    return "\n".join(lines) + "\n"


def plot(events, records, path, title):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (chaos/setup installs it)"
    pairs = [(i, c) for i, c in pair(events) if c is not None]
    if not pairs:
        return "no operations to plot"
    end = max(c["time"] for _, c in pairs) / 1e9
    buckets = int(end) + 1
    rates = {t: [0] * buckets for t in ("ok", "fail", "info")}
    for _, c in pairs:
        rates[c["type"]][min(buckets - 1, int(c["time"] / 1e9))] += 1
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(13, 7), sharex=True)
    for type_, colour in (("ok", "tab:green"), ("fail", "tab:orange"), ("info", "tab:red")):
        top.plot(range(buckets), rates[type_], label=type_, color=colour, linewidth=1)
    top.set_ylabel("operations / s")
    top.legend(loc="upper right")
    colours = {"read": "tab:blue", "write": "tab:green", "cas": "tab:purple", "add": "tab:olive",
               "login": "tab:brown", "unwrap": "tab:cyan", "wrap": "tab:pink", "secret-id": "tab:gray"}
    for f, colour in colours.items():
        xs = [c["time"] / 1e9 for i, c in pairs if i["f"] == f and c["type"] == "ok"]
        ys = [max(0.1, (c["time"] - i["time"]) / 1e6) for i, c in pairs if i["f"] == f and c["type"] == "ok"]
        if xs:
            bottom.scatter(xs, ys, s=3, color=colour, label=f, alpha=0.6)
    xs = [c["time"] / 1e9 for i, c in pairs if c["type"] == "info"]
    ys = [max(0.1, (c["time"] - i["time"]) / 1e6) for i, c in pairs if c["type"] == "info"]
    if xs:
        bottom.scatter(xs, ys, s=12, marker="x", color="red", label="info (unknown)")
    bottom.set_yscale("log")
    bottom.set_ylabel("latency (ms)")
    bottom.set_xlabel("seconds since start")
    bottom.legend(loc="upper right", fontsize=7, ncol=3)
    for n, record in enumerate(records):
        start, stop = record["start_ns"] / 1e9, record.get("stop_ns", record["start_ns"]) / 1e9
        for axis in (top, bottom):
            axis.axvspan(start, stop, color="tab:red" if not record["skipped"] else "tab:gray", alpha=0.12)
        label = "+".join(record["faults"]) + (" (skipped)" if record["skipped"] and not record["details"] else "")
        top.text(start, 1.0 - 0.07 * (n % 4), label, transform=top.get_xaxis_transform(), fontsize=7,
                 verticalalignment="top")
    top.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return None
