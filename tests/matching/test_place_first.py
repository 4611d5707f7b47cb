"""Issue 14: an asked place dominates among members who fit the subject. The Twente question
from the issue and five like it: members inside the place or within 30 km come first, before
anyone 30-60 km away, and those before anyone farther."""

from __future__ import annotations

from typing import Any

import pytest

from schakel.graph.geo import Gazetteer
from schakel.matching.engine import MatchQuery

QUESTIONS = [
    ("Wij zoeken iemand die ervaring heeft met thuiszitters en de samenwerking tussen school "
     "en jeugdhulp in de regio Twente", "Regio Twente", {"thuiszitters"}),
    ("Wie in de buurt van Zwolle weet veel van schoolverzuim?", "Zwolle", {"verzuim"}),
    ("Ik zoek iemand in Utrecht die werkt aan inclusief onderwijs.", "Utrecht",
     {"inclusief_onderwijs"}),
    ("Wij zoeken ervaring met nieuwkomers, liefst rond Groningen.", "Groningen",
     {"nieuwkomers"}),
    ("Wie kan ons in Zuid-Limburg helpen met passend onderwijs?", "Zuid-Limburg",
     {"passend_onderwijs"}),
    ("Is er in Rotterdam iemand die werkt aan armoede onder kinderen?", "Rotterdam",
     {"armoede"}),
]


def _tier(km: float) -> int:
    return 0 if km <= 30 else 1 if km <= 60 else 2


@pytest.fixture(scope="module")
def answers(matcher: Any, gazetteer: Gazetteer, seeded_graph: Any) -> list[dict[str, Any]]:
    items = matcher.catalog.members
    row = {m: r for r, m in enumerate(items.ids)}
    out = []
    for text, place_name, themes in QUESTIONS:
        place = gazetteer.find(place_name)
        assert place is not None
        inside = {g.id for g in gazetteer.gemeenten_of(place)}

        def km(member: str, inside: set[str] = inside) -> float:
            home = matcher.catalog.places[items.anchor[row[member]]]
            if home.id in inside:
                return 0.0
            return min(gazetteer.distance_km(home, g) for g in inside)

        def fits(member: str, themes: set[str] = themes) -> bool:
            return any(k == "WORKS_ON" and t in themes
                       for _, t, k in seeded_graph.out_edges(member, keys=True))

        result = matcher.match(MatchQuery(text=text, kinds=["member"], limit=10))
        shown = [s.id for s in result.results]
        near_fitting = [m for r, m in enumerate(items.ids)
                        if items.allowed[r] and fits(m) and km(m) <= 30]
        out.append({"text": text, "read": {t["id"] for t in result.understood["themes"]},
                    "themes": themes, "shown": shown, "km": {m: km(m) for m in shown},
                    "fits": {m: fits(m) for m in shown}, "near_fitting": near_fitting})
    return out


def test_the_question_is_read_as_its_theme_and_place(answers: list[dict[str, Any]]) -> None:
    for a in answers:
        assert a["themes"] <= a["read"], a["text"]


@pytest.mark.parametrize("n", range(len(QUESTIONS)))
def test_fitting_members_come_nearest_first(answers: list[dict[str, Any]], n: int) -> None:
    a = answers[n]
    tiers = [_tier(a["km"][m]) for m in a["shown"] if a["fits"][m]]
    assert tiers == sorted(tiers), (a["text"], [(m, round(a["km"][m])) for m in a["shown"]])
    if a["near_fitting"]:
        first = a["shown"][0]
        assert a["km"][first] <= 30 and a["fits"][first], (a["text"], first, a["km"][first])


def test_the_check_is_not_empty(answers: list[dict[str, Any]]) -> None:
    """Most of the six questions have fitting members both near and farther away shown."""
    both = [a for a in answers
            if {_tier(a["km"][m]) for m in a["shown"] if a["fits"][m]} >= {0, 1}
            or (a["near_fitting"] and any(a["km"][m] > 30 for m in a["shown"]))]
    assert len([a for a in answers if a["near_fitting"]]) >= 4
    assert both, "no question tests the order"
