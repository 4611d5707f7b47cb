"""diversify: greedy spreading over organisations."""

from __future__ import annotations

from schakel.matching.ranker import diversify


def test_a_second_person_of_one_organisation_gives_way() -> None:
    pool = [(0.9, 1, "a"), (0.85, 1, "b"), (0.8, 2, "c"), (0.7, -1, "d")]
    got = diversify(pool, 3, 0.2, score=lambda c: c[0], group=lambda c: c[1])
    assert [(c[2], same) for c, same in got] == [("a", 0), ("c", 0), ("d", 0)]
    got = diversify(pool, 4, 0.2, score=lambda c: c[0], group=lambda c: c[1])
    assert [(c[2], same) for c, same in got][-1] == ("b", 1)
