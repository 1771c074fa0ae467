"""Side-by-side tables (Markdown) from the JSON result of one run. Ratios are Coffer over
OpenBao; for latency and memory a ratio below 1 is better for Coffer."""


def fmt_num(value, digits=0):
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def fmt_ms(us):
    return "n/a" if us is None else f"{us / 1000:.2f}"


def ratio(coffer, bao):
    if coffer is None or bao is None or bao == 0:
        return "n/a"
    return f"{coffer / bao:.2f}x"


def side(row, kind, field):
    cell = row.get(kind)
    if not cell or cell.get("error"):
        return None
    return cell.get(field)


def markdown(result):
    lines = []
    meta = result["meta"]
    lines.append(f"# Coffer vs OpenBao bench ({meta['form']} form)")
    lines.append("")
    lines.append(f"- when: {meta['started']}; machine: {meta['machine']}")
    lines.append(f"- command: `{meta['command']}`")
    lines.append(f"- clusters: {meta['nodes']} node{'s' if meta['nodes'] != 1 else ''} each, loopback, plain HTTP API, Shamir 5/3, retry_join; "
                 f"coffer {meta.get('coffer_version', '?')}, {meta.get('bao_version', '?')}")
    lines.append(f"- load: wrk {meta['wrk']} closed loop, 1 thread, warm-up {meta['warmup_s']} s, "
                 f"measured {meta['duration_s']} s per row; {meta['secrets']} preloaded 100-byte secrets; "
                 "each row runs on both servers back to back, the first server alternating row by row")
    lines.append("- ratio = Coffer / OpenBao. For req/s higher is better; for latency and memory lower is better.")
    lines.append("- server CPU µs/req: user+system CPU of all the cluster's nodes during the measured run, divided "
                 "by the requests answered (less sensitive than req/s to other load on a shared machine)")
    for note in result.get("notes", []):
        lines.append(f"- note: {note}")
    lines.append("")
    lines.append("## Load")
    lines.append("")
    lines.append("| workload | conns | Coffer req/s | OpenBao req/s | ratio | Coffer p50 ms | OpenBao p50 ms | "
                 "Coffer p99 ms | OpenBao p99 ms | p99 ratio | server CPU µs/req C/O | non-2xx C/O | socket err C/O |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in result["load"]:
        unit = row.get("unit", "req/s")
        field = "flows_per_s" if unit == "flows/s" else "rps"
        c_rps, b_rps = side(row, "coffer", field), side(row, "bao", field)
        c50, b50 = side(row, "coffer", "p50_us"), side(row, "bao", "p50_us")
        c99, b99 = side(row, "coffer", "p99_us"), side(row, "bao", "p99_us")
        name = row["workload"] + (" (flows/s)" if unit == "flows/s" else "")
        flags = []
        for kind in ("coffer", "bao"):
            cell = row.get(kind) or {}
            if cell.get("pool_exhausted"):
                flags.append(f"{kind}: token pool ran out after {cell['seconds_before_empty']:.1f} s; "
                             "rate over that time")
            if cell.get("error"):
                flags.append(f"{kind}: {cell['error']}")
        if flags:
            name += " [" + "; ".join(flags) + "]"
        lines.append(
            f"| {name} | {row['connections']} | {fmt_num(c_rps, 0)} | {fmt_num(b_rps, 0)} | {ratio(c_rps, b_rps)} | "
            f"{fmt_ms(c50)} | {fmt_ms(b50)} | {fmt_ms(c99)} | {fmt_ms(b99)} | {ratio(c99, b99)} | "
            f"{fmt_num(side(row, 'coffer', 'cpu_us_per_request'), 0)}/"
            f"{fmt_num(side(row, 'bao', 'cpu_us_per_request'), 0)} | "
            f"{fmt_num(side(row, 'coffer', 'non2xx'))}/{fmt_num(side(row, 'bao', 'non2xx'))} | "
            f"{fmt_num(side(row, 'coffer', 'socket_errors'))}/{fmt_num(side(row, 'bao', 'socket_errors'))} |")
    lines.append("")
    lines += targets(result)
    lines.append("## Per server")
    lines.append("")
    lines.append("| measure | Coffer | OpenBao | ratio |")
    lines.append("|---|---:|---:|---:|")
    for name, c, b, kind in result["per_server"]:
        if kind == "s":
            lines.append(f"| {name} | {fmt_s(c)} | {fmt_s(b)} | {ratio(c, b)} |")
        elif kind == "mib":
            lines.append(f"| {name} | {fmt_mib(c)} | {fmt_mib(b)} | {ratio(c, b)} |")
        else:
            lines.append(f"| {name} | {fmt_num(c)} | {fmt_num(b)} | {ratio(c, b)} |")
    lines.append("")
    for kind in ("coffer", "bao"):
        fo = result.get("failover", {}).get(kind)
        if not fo:
            continue
        label = "Coffer" if kind == "coffer" else "OpenBao"
        if fo.get("error"):
            lines.append(f"- {label} failover: {fo['error']}")
            continue
        times = ", ".join(fmt_s(t["failover_s"]) for t in fo["trials"])
        lines.append(f"- {label} failover trials (kill to first acknowledged write): {times}; "
                     f"{fo['acked_writes']} acknowledged writes, missing per node: {fo['missing_acked_writes']}, "
                     f"unreadable per node: {fo.get('unreadable_acked_writes')}, "
                     f"absent at a node's first read (stale, caught up later): {fo.get('absent_at_first_read')}; "
                     f"read back while active on: {', '.join(fo['verified_while_active']) or 'none'}")
    for kind in ("coffer", "bao"):
        snap = result.get("snapshot", {}).get(kind)
        if snap and not snap.get("available"):
            lines.append(f"- {'Coffer' if kind == 'coffer' else 'OpenBao'} snapshot: n/a ({snap.get('reason')})")
    lines.append("")
    return "\n".join(lines)


def fmt_s(value):
    return "n/a" if value is None else f"{value:.3f} s"


def fmt_mib(kib):
    return "n/a" if kib is None else f"{kib / 1024:.1f} MiB"


# The targets, as (label, workload modes and targets, connections or None for all).
RATE_TARGETS = (
    ("KV write, active >= 3x", ("kvwrite", "active"), (16, 64)),
    ("KV write, forwarded >= 3x", ("kvwrite", "standby"), (16, 64)),
    ("KV read, active >= 3x", ("kvread", "active"), (16, 64)),
    ("KV read, standby >= 3x", ("kvread", "standby"), (16, 64)),
    ("AppRole login >= 3x", ("login", "active"), (16, 64)),
    ("wrapped issue + unwrap flow >= 3x", ("chain", "active"), (16, 64)),
)


def targets(result):
    """Which of the issue's targets this run met (ratios from this run only)."""
    rows = result["load"]
    out = ["## Targets (this run)", "", "| target | measured | met |", "|---|---|---|"]

    def rate(row, kind):
        return side(row, kind, "flows_per_s" if row.get("unit") == "flows/s" else "rps")

    for label, (mode, target), conns in RATE_TARGETS:
        found = [r for r in rows if r["mode"] == mode and r["target"] == target and r["connections"] in conns]
        if not found:
            continue
        ratios = [(r["connections"], rate(r, "coffer"), rate(r, "bao")) for r in found]
        shown = ", ".join(f"c{c}: {ratio(a, b)}" for c, a, b in ratios)
        met = all(a is not None and b for _, a, b in ratios) and all(a / b >= 3 for _, a, b in ratios)
        out.append(f"| {label} | {shown} | {'yes' if met else 'no'} |")
    at64 = [r for r in rows if r["connections"] == 64]
    if at64:
        p99 = [(r["workload"], side(r, "coffer", "p99_us"), side(r, "bao", "p99_us")) for r in at64]
        worst = max((a / b, name) for name, a, b in p99 if a is not None and b) if any(
            a is not None and b for _, a, b in p99) else None
        if worst:
            met = all(a is not None and b and a / b <= 1 / 3 for _, a, b in p99)
            out.append(f"| p99 at 64 connections <= 1/3, every row | worst {worst[0]:.2f}x ({worst[1]}) | "
                       f"{'yes' if met else 'no'} |")
    per = {name: (c, b) for name, c, b, _ in result.get("per_server", [])}
    c, b = per.get("failover median", (None, None))
    if c is not None or b is not None:
        met = c is not None and b is not None and c <= b / 3 and c < 1.0
        out.append(f"| failover median <= 1/3 of OpenBao's and < 1 s | Coffer {fmt_s(c)}, OpenBao {fmt_s(b)} | "
                   f"{'yes' if met else 'no'} |")
    idle = [(n, c, b) for n, (c, b) in per.items() if n.startswith("idle RSS")]
    if idle:
        met = all(c is not None and b and c / b <= 0.5 for _, c, b in idle)
        shown = ", ".join(f"{n.split(', ')[1]}: {ratio(c, b)}" for n, c, b in idle)
        out.append(f"| idle RSS <= 1/2 | {shown} | {'yes' if met else 'no'} |")
    out.append("")
    return out
