"""Network metrics against small graphs worked out by hand (and against networkx)."""

from __future__ import annotations

import networkx as nx
import pytest

from schakel.graph.analytics import analyse, sampled_closeness
from schakel.graph.brokerage import brokerage_roles, constraint, effective_size


@pytest.fixture(scope="module")
def path4() -> nx.Graph:
    return nx.path_graph([1, 2, 3, 4])


def test_path_of_four_by_hand(path4: nx.Graph) -> None:
    a = analyse(path4)
    assert a.metrics["degree"] == {1: 1.0, 2: 2.0, 3: 2.0, 4: 1.0}
    # Node 2 lies on the only shortest paths 1-3 and 1-4: 2 of the 3 pairs without it.
    assert a.metrics["betweenness"][2] == pytest.approx(2 / 3)
    assert a.metrics["betweenness"][1] == 0.0
    # Distances from 1: 1, 2, 3 -> 3/6; from 2: 1, 1, 2 -> 3/4.
    assert a.metrics["closeness"][1] == pytest.approx(0.5)
    assert a.metrics["closeness"][2] == pytest.approx(0.75)
    assert a.bridges == [(1, 2), (2, 3), (3, 4)]
    assert a.articulation_points == {2, 3}
    assert a.method["betweenness"] == "exact"
    # Constraint: an end depends wholly on its one contact; 2 has two unlinked contacts.
    assert a.metrics["constraint"][1] == pytest.approx(1.0)
    assert a.metrics["constraint"][2] == pytest.approx(2 * 0.5**2)
    assert a.metrics["effective_size"][2] == pytest.approx(2.0)
    assert set(a.timings) >= {"betweenness", "closeness", "louvain", "brokerage"}


def test_triangle_with_a_tail_by_hand() -> None:
    g = nx.Graph([("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")])
    c = constraint(g)
    # c has three contacts (p = 1/3); a and b know each other through b resp. a (deg 2):
    # (1/3 + 1/3 * 1/2)^2 twice, plus (1/3)^2 for d.
    assert c["c"] == pytest.approx(2 * (1 / 3 + 1 / 6) ** 2 + (1 / 3) ** 2)
    # Three contacts with one tie among them: 3 - 2*1/3.
    assert effective_size(g)["c"] == pytest.approx(3 - 2 / 3)
    a = analyse(g)
    assert a.bridges == [("c", "d")]
    assert a.articulation_points == {"c"}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_burt_measures_equal_networkx(seed: int) -> None:
    g = nx.gnp_random_graph(40, 0.12, seed=seed)
    g.add_node("alleen")  # isolated: undefined, left out by both
    ours_c, theirs_c = constraint(g), nx.constraint(g)
    ours_e, theirs_e = effective_size(g), nx.effective_size(g)
    assert "alleen" not in ours_c and "alleen" not in ours_e
    for v in ours_c:
        assert ours_c[v] == pytest.approx(theirs_c[v])
        assert ours_e[v] == pytest.approx(theirs_e[v])


def test_louvain_finds_two_cliques_largest_first() -> None:
    g = nx.union(nx.complete_graph(range(6)), nx.complete_graph(range(10, 14)))
    g.add_edge(0, 10)
    a = analyse(g)
    assert {a.communities[v] for v in range(6)} == {0}
    assert {a.communities[v] for v in range(10, 14)} == {1}
    assert a.bridges == [(0, 10)]
    assert analyse(g).communities == a.communities  # seeded: the same every time


def test_sampled_closeness_with_every_node_as_pivot_is_exact() -> None:
    g = nx.union(nx.barbell_graph(5, 3), nx.path_graph(range(100, 104)))
    g.add_node(200)
    exact = nx.closeness_centrality(g)
    sampled = sampled_closeness(g, k=len(g), seed=1)
    for v in g:
        assert sampled[v] == pytest.approx(exact[v])


def test_large_graphs_are_sampled_with_the_documented_k() -> None:
    g = nx.connected_watts_strogatz_graph(300, 6, 0.1, seed=4)
    exact = nx.betweenness_centrality(g)
    a = analyse(g, exact_limit=100, samples=150)
    assert a.method["betweenness"] == "sampled k=150"
    assert a.method["closeness"] == "sampled pivots k=150"
    top_exact = set(sorted(g, key=lambda v: -exact[v])[:30])
    top_sampled = set(sorted(g, key=lambda v: -a.metrics["betweenness"][v])[:30])
    assert len(top_exact & top_sampled) >= 20  # the estimate finds most of the real top
    closeness = nx.closeness_centrality(g)
    for v in g:
        assert a.metrics["closeness"][v] == pytest.approx(closeness[v], rel=0.1)


def test_directed_graphs_are_refused() -> None:
    with pytest.raises(nx.NetworkXNotImplemented):
        analyse(nx.DiGraph([(1, 2)]))


def _grouped(g: nx.Graph, groups: dict[str, str]) -> nx.Graph:
    nx.set_node_attributes(g, groups, "domain")
    return g


def test_brokerage_roles_in_a_directed_graph_worked_out_by_hand() -> None:
    # b (group X) hears from x1 (X) and y1 (Y) and passes on to x2, x1, y1 (X, X, Y),
    # y2 (Y) and z1 (Z). Two-paths a -> b -> c with a != c:
    #   from x1: x2 coordinator; y1, y2, z1 representative (3)
    #   from y1: x2, x1 gatekeeper (2); y2 consultant; z1 liaison
    g = _grouped(nx.DiGraph([("x1", "b"), ("y1", "b"), ("b", "x2"), ("b", "x1"), ("b", "y1"),
                             ("b", "y2"), ("b", "z1")]),
                 {"b": "X", "x1": "X", "x2": "X", "y1": "Y", "y2": "Y", "z1": "Z"})
    roles = brokerage_roles(g)["b"]
    assert roles == {"coordinator": 1, "gatekeeper": 2, "representative": 3, "consultant": 1,
                     "liaison": 1, "total": 8}
    # A direct tie x1 -> y2 closes that two-path: b no longer brokers it.
    g.add_edge("x1", "y2")
    assert brokerage_roles(g)["b"]["representative"] == 2
    assert brokerage_roles(g)["x1"]["total"] == 0  # nobody reaches x1's contacts through it


def test_brokerage_roles_in_an_undirected_star() -> None:
    # Undirected ties count both ways: 4 leaves give 12 ordered pairs around the centre.
    g = _grouped(nx.star_graph(["b", "x1", "y1", "y2", "z1"]),
                 {"b": "X", "x1": "X", "y1": "Y", "y2": "Y", "z1": "Z"})
    roles = brokerage_roles(g)
    assert roles["b"] == {"coordinator": 0, "gatekeeper": 3, "representative": 3,
                          "consultant": 2, "liaison": 4, "total": 12}
    assert all(roles[leaf]["total"] == 0 for leaf in ("x1", "y1", "y2", "z1"))
    # Knowing each other, y1 and y2 no longer need b.
    g.add_edge("y1", "y2")
    assert brokerage_roles(g)["b"]["consultant"] == 0
