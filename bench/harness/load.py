"""Closed-loop load with wrk (Debian's package) and bench/lua/workload.lua.

The same binary, script and flags drive both servers. Each measured run is preceded by a
warm-up run of the same workload whose numbers are discarded. wrk is started with a
fixed duration and a timeout of its own, and killed by its PID if it overstays."""

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "lua" / "workload.lua"


def wrk_binary():
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is missing: apt-get install -y wrk (bench/run installs it)")
    return found


def cpu_ticks(pid):
    """utime + stime of a live process, in clock ticks; None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def start_profile(pids, duration_s, out):
    """perf record (call graphs) of the given server PIDs for the measured run."""
    perf = shutil.which("perf")
    if not perf:
        return None
    argv = [perf, "record", "-F", "499", "-g", "-o", str(out), "-p", ",".join(str(p) for p in pids),
            "--", "sleep", str(duration_s)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def finish_profile(process, data, report, binary_name="coffer"):
    """Waits for perf, then writes a flat profile (self time, demangled) next to its data."""
    if process is None:
        return
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    flat = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children", "--percent-limit", "0.5",
                           "--sort", "comm,dso,symbol", "-g", "none"], capture_output=True, text=True, timeout=300)
    # Inclusive time of Coffer's own functions: where in the request path the time goes.
    inclusive = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--children", "--percent-limit", "2",
                                "--sort", "symbol", "--dsos", binary_name, "-g", "none"],
                               capture_output=True, text=True, timeout=300)
    text = ("## self time by thread, library and symbol\n" + flat.stdout +
            "\n## inclusive time of functions in the coffer binary\n" + inclusive.stdout)
    demangler = shutil.which("swift-demangle") or shutil.which("swift")
    if demangler:
        argv = [demangler, "--simplified"] if demangler.endswith("demangle") else [demangler, "demangle",
                                                                                  "--simplified"]
        demangled = subprocess.run(argv, input=text, capture_output=True, text=True, timeout=120)
        if demangled.returncode == 0:
            text = demangled.stdout
    Path(report).write_text(text)


def run_wrk(addr, mode, connections, duration_s, env_extra, threads=1, timeout_s=10, cpu_pids=(), profile=None,
            binary_name="coffer"):
    """One wrk run. `cpu_pids`: server processes whose CPU time the run also reports (per
    request, all of them together). `profile`: a path prefix; when given, the run is
    recorded with perf."""
    threads = max(1, min(threads, connections))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")}
    env.update({"BENCH_MODE": mode, "BENCH_THREADS": str(threads)})
    env.update({k: str(v) for k, v in env_extra.items()})
    argv = [wrk_binary(), f"-t{threads}", f"-c{connections}", f"-d{max(1, int(round(duration_s)))}s", f"--timeout={timeout_s}s",
            "-s", str(SCRIPT), addr]
    cpu_before = {pid: cpu_ticks(pid) for pid in cpu_pids}
    perf = start_profile(cpu_pids, int(round(duration_s)), f"{profile}.data") if profile and cpu_pids else None
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        out, err = process.communicate(timeout=duration_s + timeout_s + 30)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        raise RuntimeError(f"wrk overstayed its duration ({mode} on {addr})")
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        if perf is not None and perf.poll() is None:
            try:
                perf.wait(timeout=duration_s + 30)
            except subprocess.TimeoutExpired:
                os.kill(perf.pid, signal.SIGKILL)
                perf.wait()
    cpu_after = {pid: cpu_ticks(pid) for pid in cpu_pids}
    if perf is not None:
        finish_profile(perf, f"{profile}.data", f"{profile}.txt", binary_name)
    for line in out.splitlines():
        if line.startswith("BENCH_RESULT "):
            result = json.loads(line[len("BENCH_RESULT "):])
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6) if result["duration_us"] else 0.0
            if result["pool_exhausted"] and result["seconds_before_empty"] > 0:
                # The run stopped early on an empty token pool: the rate is over the time it lasted.
                result["rps"] = result["spent_before_empty"] / result["seconds_before_empty"]
            result["flows_per_s"] = result["flows"] / (result["duration_us"] / 1e6) if result["duration_us"] else 0.0
            non2xx = result["non2xx_exact"]
            result["non2xx"] = non2xx if non2xx is not None else result["status_ge_400"]
            result["socket_errors"] = (result["connect_errors"] + result["read_errors"] + result["write_errors"]
                                       + result["timeouts"])
            used = [cpu_after[p] - cpu_before[p] for p in cpu_pids
                    if cpu_before.get(p) is not None and cpu_after.get(p) is not None]
            if used and result["requests"]:
                result["server_cpu_s"] = sum(used) / os.sysconf("SC_CLK_TCK")
                result["cpu_us_per_request"] = result["server_cpu_s"] * 1e6 / result["requests"]
            return result
    raise RuntimeError(f"wrk gave no result ({mode} on {addr}): exit {process.returncode}\n{out[-1500:]}\n{err[-1500:]}")


