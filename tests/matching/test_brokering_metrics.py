"""Brokering numbers on a small log built by hand."""

from __future__ import annotations

import doctest

import pytest

from schakel.matching.brokering import metrics as brokering_metrics
from schakel.matching.brokering.metrics import Record, gini, metrics

Q = "2026-01-01T00:00:00+00:00"


def _r(i: int, state: str, **kw: object) -> Record:
    return Record(id=f"i{i}", state=state, candidate=str(kw.pop("candidate", f"m{i}")),
                  question_created=Q, **kw)  # type: ignore[arg-type]


LOG = [
    _r(1, "closed", outcome="nuttig", introduced_at="2026-01-03T00:00:00+00:00",
       cross_domain=True, region="Drenthe", candidate="m1", candidate_organisation="o1",
       candidate_region="Drenthe"),
    _r(2, "introduced", introduced_at="2026-01-05T00:00:00+00:00", cross_domain=False,
       region="Drenthe", candidate="m1", candidate_organisation="o1",
       candidate_region="Drenthe"),
    _r(3, "closed", outcome="geen contact", introduced_at="2026-01-11T00:00:00+00:00",
       cross_domain=True, region="Utrecht", candidate="m2", candidate_organisation="o2",
       candidate_region="Utrecht"),
    _r(4, "candidate_declined", region="Utrecht", candidate="m1", candidate_organisation="o1",
       candidate_region="Drenthe"),
    _r(5, "asker_declined", region="Utrecht", candidate="m3", candidate_organisation="o1",
       candidate_region="Drenthe"),
    _r(6, "approved", region="Drenthe", candidate="m1", candidate_organisation="o1",
       candidate_region="Drenthe"),
    _r(7, "proposed", region="Drenthe", candidate="m4"),
    _r(8, "dropped", region="Drenthe", candidate="m4"),
]


def test_the_numbers_of_a_small_log() -> None:
    m = metrics(LOG, experts=["m1", "m2", "m3", "m5"], organisations=["o1", "o2", "o3"],
                regions=["Drenthe", "Utrecht"])
    assert (m.introductions, m.asked) == (8, 6)
    # 3 accepted by both (1, 2, 3), 2 declined (4, 5); 6 still waits
    assert (m.accepted, m.decided) == (3, 5)
    assert m.acceptance_rate == pytest.approx(0.6)
    # days from question to introduction: 2, 4, 10
    assert m.introduced == 3 and m.median_days_to_introduction == pytest.approx(4.0)
    assert m.cross_domain_share == pytest.approx(2 / 3, abs=1e-4)
    assert m.outcomes == {"nuttig": 1, "geen contact": 1}
    # asks per expert: m1 4, m2 1, m3 1, m5 0
    assert m.expert_load_gini == pytest.approx(gini([4, 1, 1, 0]))
    assert m.expert_load_gini == pytest.approx(0.5)
    # asks per organisation: o1 5, o2 1, o3 0; per region: Drenthe 5, Utrecht 1
    assert m.organisation_exposure_gini == pytest.approx(gini([5, 1, 0]))
    assert m.region_exposure_gini == pytest.approx(gini([5, 1]))
    assert m.most_asked[0] == ("m1", 4)
    drenthe, utrecht = m.per_region["Drenthe"], m.per_region["Utrecht"]
    assert drenthe.acceptance_rate == 1.0 and drenthe.median_days_to_introduction == 3.0
    assert utrecht.acceptance_rate == pytest.approx(1 / 3, abs=1e-4)
    assert utrecht.cross_domain_share == 1.0


def test_an_empty_log_has_no_rates() -> None:
    m = metrics([])
    assert m.acceptance_rate is None and m.median_days_to_introduction is None
    assert m.cross_domain_share is None and m.expert_load_gini is None and m.per_region == {}


@pytest.mark.parametrize(("values", "expected"), [
    ([], None), ([0, 0], 0.0), ([3, 3, 3], 0.0), ([0, 0, 0, 4], 0.75), ([1, 2, 3, 4], 0.25),
])
def test_gini(values: list[float], expected: float | None) -> None:
    assert gini(values) == (pytest.approx(expected) if expected is not None else None)


def test_docstring_examples() -> None:
    result = doctest.testmod(brokering_metrics)
    assert result.attempted > 0 and result.failed == 0
