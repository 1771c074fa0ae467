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


def run_wrk(addr, mode, connections, duration_s, env_extra, threads=1, timeout_s=10):
    threads = max(1, min(threads, connections))
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")}
    env.update({"BENCH_MODE": mode, "BENCH_THREADS": str(threads)})
    env.update({k: str(v) for k, v in env_extra.items()})
    argv = [wrk_binary(), f"-t{threads}", f"-c{connections}", f"-d{max(1, int(round(duration_s)))}s", f"--timeout={timeout_s}s",
            "-s", str(SCRIPT), addr]
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
    for line in out.splitlines():
        if line.startswith("BENCH_RESULT "):
            result = json.loads(line[len("BENCH_RESULT "):])
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6) if result["duration_us"] else 0.0
            result["flows_per_s"] = result["flows"] / (result["duration_us"] / 1e6) if result["duration_us"] else 0.0
            non2xx = result["non2xx_exact"]
            result["non2xx"] = non2xx if non2xx is not None else result["status_ge_400"]
            result["socket_errors"] = (result["connect_errors"] + result["read_errors"] + result["write_errors"]
                                       + result["timeouts"])
            return result
    raise RuntimeError(f"wrk gave no result ({mode} on {addr}): exit {process.returncode}\n{out[-1500:]}\n{err[-1500:]}")


def measure(addr, mode, connections, warmup_s, duration_s, env_extra):
    """Warm-up (discarded), then the measured run."""
    if warmup_s > 0:
        run_wrk(addr, mode, connections, warmup_s, env_extra)
    return run_wrk(addr, mode, connections, duration_s, env_extra)
