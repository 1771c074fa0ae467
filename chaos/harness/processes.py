"""Every process the harness starts, registered by PID so that all are stopped at the end, even on failure."""

import os
import signal
import subprocess
import threading
import time


class ProcessTable:
    """PIDs of the processes this run started. `stop_all` sends SIGCONT (a paused process must be able to
    die), then SIGTERM, then SIGKILL to whatever is left, each to one PID, never to a name or a group."""

    def __init__(self):
        self._lock = threading.Lock()
        self._processes = {}

    def start(self, label, argv, **popen):
        process = subprocess.Popen(argv, **popen)
        with self._lock:
            self._processes[process.pid] = (label, process)
        return process

    def forget(self, process):
        with self._lock:
            self._processes.pop(process.pid, None)

    def alive(self):
        with self._lock:
            return [(label, p) for label, p in self._processes.values() if p.poll() is None]

    def stop_all(self, grace=5.0):
        survivors = self.alive()
        for _, process in survivors:
            for sig in (signal.SIGCONT, signal.SIGTERM):
                try:
                    os.kill(process.pid, sig)
                except ProcessLookupError:
                    pass
        deadline = time.time() + grace
        for _, process in survivors:
            try:
                process.wait(timeout=max(0.0, deadline - time.time()))
            except subprocess.TimeoutExpired:
                try:
                    os.kill(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
        left = [label for label, _ in self.alive()]
        return left
