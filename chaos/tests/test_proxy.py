"""The cluster proxy cuts a link per direction, names the connecting node by its PID, and heals."""

import json
import socket
import subprocess
import sys
import threading

from harness.cluster import free_ports
from harness.cluster import HERE as HARNESS

CLIENT = r"""
import socket, sys
sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
sock.settimeout(1.0)
for line in sys.stdin:
    if line.strip() == "send":
        sock.sendall(b"x")
    try:
        print(sock.recv(64).decode() or "closed", flush=True)
    except socket.timeout:
        print("timeout", flush=True)
"""


def echo_server(listener):
    def serve(conn):
        with conn:
            while data := conn.recv(64):
                conn.sendall(data)
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def test_partition_directions_and_heal():
    control_port, proxy_port = free_ports(2)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    threading.Thread(target=echo_server, args=(listener,), daemon=True).start()
    proxy = subprocess.Popen([sys.executable, str(HARNESS / "proxy.py"), str(control_port)],
                             stdout=subprocess.DEVNULL)
    client = None
    try:
        for _ in range(100):
            try:
                control = socket.create_connection(("127.0.0.1", control_port), timeout=5)
                break
            except OSError:
                threading.Event().wait(0.05)
        answers = control.makefile("r")

        def command(**c):
            control.sendall((json.dumps(c) + "\n").encode())
            return json.loads(answers.readline())

        assert command(op="listen", node="n1", listen=proxy_port, target=listener.getsockname()[1])["ok"]
        client = subprocess.Popen([sys.executable, "-c", CLIENT, str(proxy_port)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        assert command(op="pids", pids={"n2": client.pid})["ok"]

        def step(line):
            client.stdin.write(line + "\n")
            client.stdin.flush()
            return client.stdout.readline().strip()

        assert step("send") == "x"
        assert command(op="block", links=[["n2", "n1"]])["blocked"] == [["n2", "n1"]]
        assert step("send") == "timeout"  # n2 -> n1 held
        command(op="heal")
        assert step("wait") == "x"  # delivered after the heal, and echoed
        command(op="block", links=[["n1", "n2"]])
        assert step("send") == "timeout"  # reached n1, but the echo n1 -> n2 is held
        command(op="heal")
        assert step("wait") == "x"
        command(op="block", links=[["n3", "n1"]])  # another node's link: this connection is untouched
        assert step("send") == "x"
        status = command(op="status")
        assert status["connections"] == 1 and status["unidentified"] == 0
    finally:
        for process in (client, proxy):
            if process is not None:
                process.kill()
                process.wait()
        listener.close()
