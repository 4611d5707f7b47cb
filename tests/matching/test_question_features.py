"""Reading questions, and the graph features."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from schakel.graph.geo import Gazetteer
from schakel.matching.features import NEAR, NEAR_KM, PARTIAL_KM, Places, theme_vector


@pytest.fixture(scope="module")
def reader(matcher: Any) -> Any:
    return matcher.reader


@pytest.mark.parametrize(("text", "place"), [
    ("Wie heeft ervaring met jeugdhulp in de klas, liefst in de buurt van Emmen?", "gm-emmen"),
    ("Hier in Den Haag zoeken we iemand", "gm-s-gravenhage"),
    ("bij ons in de gemeente Súdwest-Fryslân", "gm-sudwest-fryslan"),
    ("Wie werkt in regio Twente aan LVB?", "rg-regio-twente"),
    ("Iemand in de provincie Drenthe?", "pv-drenthe"),
    ("Wie kan mij het best helpen met autisme?", None),  # Best is a gemeente, "best" is not
    ("Wie weet iets van thuiszitters?", None),
])
def test_place_in_the_question(reader: Any, text: str, place: str | None) -> None:
    found = reader.read(text).place
    assert (found.id if found else None) == place


def test_themes_from_names_and_synonyms(reader: Any) -> None:
    q = reader.read("Wie heeft een goede thuiszittersaanpak en weet veel van autisme?")
    assert {"thuiszitters", "autisme"} <= set(q.themes)
    assert all(w == 1.0 for w in q.themes.values())


def test_asker_domain_and_wanted_domain(reader: Any) -> None:
    q = reader.read("Onze school zoekt iemand uit de jeugdzorg die mee wil denken.")
    assert q.asker_domain == "onderwijs"
    assert q.wanted_domains == {"jeugdhulp"}


def test_role_cues(reader: Any) -> None:
    assert "ambassador" in reader.read("Hoe krijgen we de wethouder en het bestuur mee?").role_fit
    assert "ervaringsdeskundige" in reader.read("Wat vinden ouders van dit plan?").role_fit


def test_theme_vector_spreads_over_the_taxonomy(matcher: Any) -> None:
    tax = matcher.catalog.taxonomy
    q = matcher.reader.read("Wie weet iets van thuiszitters?")
    vec = theme_vector(q, tax)
    idx = tax.theme_index
    assert "thuiszitters" in tax.narrower["verzuim"]  # the taxonomy this test relies on
    assert vec[idx["thuiszitters"]] == 1.0
    assert 0 < vec[idx["verzuim"]] < 1.0  # broader: partly
    q2 = matcher.reader.read("Wie weet iets van schoolverzuim en schoolaanwezigheid?")
    vec2 = theme_vector(q2, tax)
    assert vec2[idx["verzuim"]] == 1.0
    assert vec2[idx["thuiszitters"]] > vec[idx["verzuim"]]  # narrower counts more than broader


def test_nearness_order(gazetteer: Gazetteer) -> None:
    """An asked place in tiers: within 30 km fully, 30-60 km half, beyond fading."""
    places = Places(gazetteer, gazetteer.places())
    near, dist, rel = places.relation("gm-emmen")
    at = {p.id: n for n, p in enumerate(places.places)}
    assert rel[at["gm-emmen"]] == "same" and near[at["gm-emmen"]] == NEAR["same"] == 1.0
    assert rel[at["gm-maastricht"]] == "far"
    by_km = [(float(dist[n]), float(near[n])) for n, p in enumerate(places.places)
             if p.kind == "gemeente" and rel[n] not in ("same", "inside", "covers")]
    assert all(v == 1.0 for km, v in by_km if km <= NEAR_KM)
    assert all(v == 0.5 for km, v in by_km if NEAR_KM < km <= PARTIAL_KM)
    assert all(v < 0.5 for km, v in by_km if km > PARTIAL_KM)
    far = sorted((km, v) for km, v in by_km if km > PARTIAL_KM)
    assert all(a[1] >= b[1] for a, b in zip(far, far[1:], strict=False))  # fades with km
    assert near[at["gm-hardenberg"]] > near[at["gm-maastricht"]]
    assert rel[at["pv-drenthe"]] == "covers" and dist[at["pv-drenthe"]] == 0
    assert dist[at["gm-maastricht"]] == pytest.approx(
        gazetteer.distance_km("gm-emmen", "gm-maastricht"), abs=0.01)
    assert np.all(near >= 0) and np.all(near <= 1)


def test_rows_near_an_asked_place_by_their_nearest_place(gazetteer: Gazetteer) -> None:
    """Places.scores reads all rows at once: a row without a place gets 0 and 0 km, a row
    with more places (a practice in several gemeenten) its nearest; checked against the
    relation of each place read one by one."""
    from scipy import sparse

    from schakel.matching.catalog import Items

    places = Places(gazetteer, gazetteer.places())
    at = {p.id: n for n, p in enumerate(places.places)}
    anchor = np.array([at["gm-maastricht"], -1, at["gm-groningen"], at["gm-maastricht"]],
                      dtype=np.int32)
    extra = {2: [at["gm-emmen"]], 3: [at["gm-venlo"], at["gm-hardenberg"]]}
    items = Items("practice", ["a", "b", "c", "d"], ["A", "B", "C", "D"], [""] * 4,
                  sparse.csr_matrix((4, 1)), anchor, np.zeros((4, 1)), extra_anchors=extra)
    near, dist = places.scores(items, gazetteer.resolve("gm-emmen"))
    ref_near, ref_dist, _ = places.relation("gm-emmen")
    for r in range(4):
        own = ([int(anchor[r])] if anchor[r] >= 0 else []) + extra.get(r, [])
        assert near[r] == pytest.approx(max((ref_near[p] for p in own), default=0.0))
        assert dist[r] == pytest.approx(min((ref_dist[p] for p in own), default=0.0),
                                        abs=1e-3)
    assert near[1] == 0 and dist[1] == 0  # no place
    assert near[2] == 1.0 and dist[2] == 0  # also in Emmen itself
    assert near[3] > near[0]  # Hardenberg is nearer than Maastricht or Venlo
