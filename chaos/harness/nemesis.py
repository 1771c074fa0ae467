"""Named faults, each a start and a heal, combinable ("kill-leader+partition-halves" runs both at once) and
run on a schedule. Every start and heal is recorded in the history as a nemesis event.

Partitions go through the cluster proxy (directed links); process faults use signals to the node's PID;
restarts are followed by the key holder's unseal; a wiped node is removed from the Raft configuration,
started with an empty data directory, unsealed and joins again through retry_join."""

import random
import shutil
import signal
import time

KINDS = [
    "kill-leader", "kill-random", "kill-majority", "pause-leader", "partition-leader", "partition-halves",
    "partition-bridge", "partition-asymmetric", "restart-random", "wipe-follower", "clock-jump",
]


class Skipped(Exception):
    """The fault cannot be made here; the reason goes in the report."""


def _links_between(group_a, group_b):
    return [(a.name, b.name) for a in group_a for b in group_b] + [(b.name, a.name) for a in group_a for b in group_b]


class Fault:
    def __init__(self, kind, cluster, rng):
        self.kind, self.cluster, self.rng = kind, cluster, rng
        self.victims = []
        self.detail = {}

    def _leader(self):
        leader = self.cluster.leader()
        if leader is None:  # no leader at this moment: pick any live node, and say so
            self.detail["no_leader"] = True
            live = [n for n in self.cluster.nodes if n.running()]
            return self.rng.choice(live or self.cluster.nodes)
        return leader

    def _followers(self, leader):
        return [n for n in self.cluster.nodes if n is not leader]

    def _learners(self):
        """Nodes outside the voter set (a rejoined node before its promotion): a side that counted them
        would look like a majority without one."""
        try:
            voters = self.cluster.voters()
        except Exception:
            voters = None
        if not voters:
            return []
        learners = [n for n in self.cluster.nodes if n.name not in voters]
        if learners:
            self.detail["non_voters"] = [n.name for n in learners]
        return learners

    def start(self):
        c, kind = self.cluster, self.kind
        if kind == "kill-leader":
            self.victims = [self._leader()]
        elif kind == "kill-random":
            self.victims = [self.rng.choice(c.nodes)]
        elif kind == "kill-majority":
            leader = self._leader()
            others = self._followers(leader)
            self.victims = [leader] + self.rng.sample(others, len(c.nodes) // 2)
        if kind.startswith("kill-"):
            for node in self.victims:
                node.kill()
        elif kind == "pause-leader":
            self.victims = [self._leader()]
            self.victims[0].signal(signal.SIGSTOP)
            self.victims[0].paused = True
        elif kind == "partition-leader":
            leader = self._leader()
            self.victims = [leader]
            c.block(_links_between([leader], self._followers(leader)))
        elif kind == "partition-halves":
            # The old leader lands in the minority, so the majority must elect and the minority must not serve.
            leader = self._leader()
            learners = [n for n in self._learners() if n is not leader]
            others = [n for n in self._followers(leader) if n not in learners]
            self.rng.shuffle(others)
            voting = len(c.nodes) - len(learners)
            minority = [leader] + others[: (voting - 1) // 2 - 1] + learners
            majority = [n for n in c.nodes if n not in minority]
            self.victims = minority
            self.detail["majority"] = [n.name for n in majority]
            c.block(_links_between(minority, majority))
        elif kind == "partition-bridge":
            # Two sides that cannot talk, and one bridge node that talks to both; the leader is on a side.
            leader = self._leader()
            others = self._followers(leader)
            self.rng.shuffle(others)
            bridge = others[0]
            rest = others[1:]
            side_a = [leader] + rest[: max(0, (len(c.nodes) - 1) // 2 - 1)]
            side_b = [n for n in c.nodes if n not in side_a and n is not bridge]
            self.victims = side_a
            self.detail.update(bridge=bridge.name, side_a=[n.name for n in side_a], side_b=[n.name for n in side_b])
            c.block(_links_between(side_a, side_b))
        elif kind == "partition-asymmetric":
            # The leader still sends to everyone but hears nobody: it must notice it lost its quorum.
            leader = self._leader()
            self.victims = [leader]
            c.block([(f.name, leader.name) for f in self._followers(leader)])
        elif kind == "restart-random":
            node = self.rng.choice(c.nodes)
            self.victims = [node]
            node.stop()
        elif kind == "wipe-follower":
            leader = self.cluster.leader()
            candidates = self._followers(leader) if leader else list(c.nodes)
            node = self.rng.choice(candidates)
            self.victims = [node]
            node.kill()
            shutil.rmtree(node.data, ignore_errors=True)
            node.data.mkdir(parents=True)
            c.remove_peer(node.name)
        elif kind == "clock-jump":
            if c.clock_unsupported:
                raise Skipped(c.clock_unsupported)
            node = self._leader()
            self.victims = [node]
            seconds = self.rng.choice([30, 120, 600])
            self.detail["jump_seconds"] = seconds
            node.clock_file.write_text(f"+{seconds}\n")
        else:
            raise ValueError(f"unknown fault {kind}")
        self.detail["victims"] = [n.name for n in self.victims]
        return self.detail

    def heal(self):
        c, kind = self.cluster, self.kind
        if kind.startswith("kill-") or kind in ("restart-random", "wipe-follower"):
            for node in self.victims:
                if not node.running():
                    node.start()
            for node in self.victims:
                c.unseal(node, deadline=90)
        elif kind == "pause-leader":
            for node in self.victims:
                node.signal(signal.SIGCONT)
                node.paused = False
        elif kind.startswith("partition-"):
            c.heal_network()
        elif kind == "clock-jump":
            for node in self.victims:
                node.clock_file.write_text("+0\n")


def parse(spec):
    """"a,b+c" -> [["a"], ["b", "c"]]: a list of fault combinations to draw from; "none": no faults."""
    combos = []
    if spec.strip() == "none":
        return combos
    for item in spec.split(","):
        kinds = [k.strip() for k in item.split("+") if k.strip()]
        for kind in kinds:
            if kind not in KINDS:
                raise SystemExit(f"unknown nemesis {kind}; known: {', '.join(KINDS)}")
        if kinds:
            combos.append(kinds)
    return combos


def plan(combos, seed, duration, fault_seconds, quiet_seconds, cycle=False):
    """The schedule: (start offset, combination, hold seconds). With cycle, every combination once in order
    (the smoke run), then random draws; otherwise random draws from the start."""
    rng = random.Random(f"{seed}/plan")
    schedule, t, i = [], quiet_seconds, 0
    while combos and t + fault_seconds + quiet_seconds <= duration:
        combo = combos[i] if cycle and i < len(combos) else rng.choice(combos)
        schedule.append((t, combo, fault_seconds))
        t += fault_seconds + quiet_seconds
        i += 1
    return schedule


class Nemesis:
    def __init__(self, cluster, history, seed, schedule, log=print):
        self.cluster, self.history, self.schedule, self.log = cluster, history, schedule, log
        self.rng = random.Random(f"{seed}/nemesis")
        self.records = []
        self.errors = []

    def run(self, started, stop_event):
        for offset, combo, hold in self.schedule:
            if stop_event.wait(max(0.0, started + offset - time.time())):
                return
            faults, record = [], {"faults": combo, "offset": offset, "hold": hold, "details": [], "skipped": []}
            start_ns = self.history.now()
            for kind in combo:
                fault = Fault(kind, self.cluster, self.rng)
                try:
                    record["details"].append({kind: fault.start()})
                    faults.append(fault)
                except Skipped as why:
                    record["skipped"].append({kind: str(why)})
                except Exception as error:
                    self.errors.append(f"start {kind}: {error!r}")
                    record["details"].append({kind: {"error": repr(error)}})
            record["start_ns"] = start_ns
            self.history.nemesis("start", {"faults": combo, "details": record["details"],
                                           "skipped": record["skipped"]})
            self.log(f"nemesis +{offset:.0f}s start {'+'.join(combo)} {record['details']} {record['skipped'] or ''}")
            stop_event.wait(hold)
            for fault in reversed(faults):
                try:
                    fault.heal()
                except Exception as error:
                    self.errors.append(f"heal {fault.kind}: {error!r}")
            record["stop_ns"] = self.history.now()
            self.history.nemesis("stop", {"faults": combo})
            self.log(f"nemesis stop {'+'.join(combo)}")
            self.records.append(record)

    def heal_everything(self):
        """After the schedule: network whole, every node running, resumed, clock true and unsealed."""
        self.cluster.heal_network()
        for node in self.cluster.nodes:
            if node.paused:
                node.signal(signal.SIGCONT)
                node.paused = False
            if self.cluster.clock_faults and node.clock_file.exists():
                node.clock_file.write_text("+0\n")
        for node in self.cluster.nodes:
            if not node.running():
                node.start()
            self.cluster.unseal(node, deadline=90)
