"""Partition shapes on 3 and 5 nodes, computed against a stand-in cluster that records the cut links."""

import random

import pytest

from harness import nemesis


class StubNode:
    def __init__(self, name):
        self.name = name

    def running(self):
        return True


class StubCluster:
    def __init__(self, size, leader=0):
        self.nodes = [StubNode(f"n{i + 1}") for i in range(size)]
        self._leader = self.nodes[leader]
        self.blocked = None
        self.voter_names = [n.name for n in self.nodes]

    def leader(self):
        return self._leader

    def block(self, links):
        self.blocked = set(links)

    def voters(self):
        return self.voter_names


def cut(size, kind, seed=1):
    cluster = StubCluster(size)
    detail = nemesis.Fault(kind, cluster, random.Random(seed)).start()
    return cluster, detail


def reachable(cluster, a, b):
    return (a, b) not in cluster.blocked


@pytest.mark.parametrize("size", [3, 5])
def test_isolated_leader_hears_and_reaches_nobody(size):
    cluster, _ = cut(size, "partition-leader")
    others = [n.name for n in cluster.nodes[1:]]
    assert all(not reachable(cluster, "n1", o) and not reachable(cluster, o, "n1") for o in others)
    assert all(reachable(cluster, a, b) for a in others for b in others)


@pytest.mark.parametrize("size", [3, 5])
def test_halves_put_the_leader_in_a_minority(size):
    for seed in range(10):
        cluster, detail = cut(size, "partition-halves", seed)
        minority = set(detail["victims"])
        majority = set(detail["majority"])
        assert "n1" in minority and len(majority) > size // 2 and len(minority) + len(majority) == size
        assert all(not reachable(cluster, a, b) for a in minority for b in majority)
        assert all(reachable(cluster, a, b) for a in majority for b in majority if a != b)


@pytest.mark.parametrize("size", [3, 5])
def test_bridge_talks_to_both_sides_which_cannot_talk(size):
    for seed in range(10):
        cluster, detail = cut(size, "partition-bridge", seed)
        a, b, bridge = detail["side_a"], detail["side_b"], detail["bridge"]
        assert "n1" in a and bridge not in a + b and len(a) + len(b) + 1 == size and a and b
        assert all(not reachable(cluster, x, y) and not reachable(cluster, y, x) for x in a for y in b)
        assert all(reachable(cluster, bridge, x) and reachable(cluster, x, bridge) for x in a + b)
        # A majority exists only through the bridge.
        assert len(a) + 1 <= size // 2 + 1 and len(b) + 1 > size // 2


def test_asymmetric_leader_sends_but_does_not_hear():
    cluster, _ = cut(5, "partition-asymmetric")
    for other in ("n2", "n3", "n4", "n5"):
        assert reachable(cluster, "n1", other) and not reachable(cluster, other, "n1")


def test_schedule_cycles_through_every_kind_once_for_the_smoke_run():
    combos = nemesis.parse(",".join(nemesis.KINDS))
    schedule = nemesis.plan(combos, 7, 4 + len(combos) * 10, 6, 4, cycle=True)
    assert [c for _, c, _ in schedule] == [[k] for k in nemesis.KINDS]
    assert nemesis.parse("kill-leader+partition-halves,none-such".replace(",none-such", "")) == \
        [["kill-leader", "partition-halves"]]
    assert nemesis.plan(nemesis.parse("none"), 7, 60, 6, 4) == []
    with pytest.raises(SystemExit):
        nemesis.parse("kill-everything")


def test_a_non_voter_is_not_counted_in_the_majority():
    for seed in range(10):
        cluster = StubCluster(5)
        cluster.voter_names = ["n1", "n2", "n3", "n4"]  # n5 rejoined and is not promoted yet
        detail = nemesis.Fault("partition-halves", cluster, random.Random(seed)).start()
        assert "n5" in detail["victims"] and detail["non_voters"] == ["n5"]
        assert len([n for n in detail["majority"] if n in cluster.voter_names]) >= 3
