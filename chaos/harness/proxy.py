"""A fault-injecting TCP proxy in front of every node's cluster port, run as its own process.

Each node listens for cluster traffic on a private port and advertises the proxy's port as its
cluster_addr, so every Raft message and forwarded request between nodes passes through here. The
proxy tells which node opened a connection by finding the process that owns the connecting socket
(/proc/net/tcp* gives the socket's inode, /proc/PID/fd of each node's PID holds it), so it can cut
links per direction: bytes from A to B stop flowing (held, not dropped) while the link A->B is
blocked, and flow again when it heals. A connection whose source it cannot name is never blocked
and is counted in the status.

Control: one JSON object per line on a loopback TCP port given on the command line, answered by one
JSON line:
  {"op": "listen", "node": "n1", "listen": PORT, "target": PORT}
  {"op": "pids", "pids": {"n1": 123, ...}}
  {"op": "block", "links": [["n1", "n2"], ...]}     directed: bytes from n1 to n2 are held
  {"op": "heal"}
  {"op": "status"}
Only 127.0.0.1 is ever listened on or connected to."""

import asyncio
import json
import os
import sys

HOST = "127.0.0.1"


class Links:
    """Which directed links are cut; pumps wait on `changed` until their link is open."""

    def __init__(self):
        self.blocked = set()
        self.changed = asyncio.Condition()

    async def wait_open(self, source, destination):
        if source is None or source == destination:
            return
        async with self.changed:
            await self.changed.wait_for(lambda: (source, destination) not in self.blocked)

    async def set(self, links):
        async with self.changed:
            self.blocked = set(links)
            self.changed.notify_all()


def _socket_inodes(local_port, remote_port):
    """Inodes of sockets on this host whose local port is local_port and remote port remote_port."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as handle:
                next(handle)
                for line in handle:
                    fields = line.split()
                    local, remote, inode = fields[1], fields[2], fields[9]
                    if int(local.rsplit(":", 1)[1], 16) == local_port and \
                            int(remote.rsplit(":", 1)[1], 16) == remote_port:
                        found.append(inode)
        except OSError:
            continue
    return found


def _owner(inodes, pids):
    """The node whose process holds one of the socket inodes, or None."""
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for node, pid in pids.items():
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") in wanted:
                        return node
                except OSError:
                    continue
        except OSError:
            continue
    return None


class Proxy:
    def __init__(self):
        self.links = Links()
        self.pids = {}
        self.servers = {}
        self.connections = 0
        self.unidentified = 0
        self.held_bytes = 0

    async def pump(self, reader, writer, source, destination):
        try:
            while True:
                await self.links.wait_open(source, destination)
                data = await reader.read(65536)
                if not data:
                    break
                if source is not None and (source, destination) in self.links.blocked:
                    self.held_bytes += len(data)
                await self.links.wait_open(source, destination)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass

    async def serve(self, node, target, client_reader, client_writer):
        self.connections += 1
        peer_port = client_writer.get_extra_info("peername")[1]
        listen_port = client_writer.get_extra_info("sockname")[1]
        source = _owner(_socket_inodes(peer_port, listen_port), self.pids)
        if source is None:
            self.unidentified += 1
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(HOST, target)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            self.pump(client_reader, upstream_writer, source, node),
            self.pump(upstream_reader, client_writer, node, source),
        )

    async def control(self, reader, writer):
        while True:
            line = await reader.readline()
            if not line:
                break
            try:
                command = json.loads(line)
                answer = await self.handle(command)
            except Exception as error:  # the harness sees the error and stops the run
                answer = {"ok": False, "error": repr(error)}
            writer.write((json.dumps(answer) + "\n").encode())
            await writer.drain()
        writer.close()

    async def handle(self, command):
        op = command["op"]
        if op == "listen":
            node, target = command["node"], command["target"]
            server = await asyncio.start_server(
                lambda r, w: self.serve(node, target, r, w), HOST, command["listen"], reuse_address=True)
            self.servers[node] = server
        elif op == "pids":
            self.pids = dict(command["pids"])
        elif op == "block":
            await self.links.set(tuple(link) for link in command["links"])
        elif op == "heal":
            await self.links.set(())
        elif op != "status":
            return {"ok": False, "error": f"unknown op {op}"}
        return {"ok": True, "blocked": sorted(self.links.blocked), "connections": self.connections,
                "unidentified": self.unidentified, "held_bytes": self.held_bytes}


async def main(control_port):
    proxy = Proxy()
    server = await asyncio.start_server(proxy.control, HOST, control_port)
    print(f"proxy control on {HOST}:{control_port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
