"""Voor jou on a small hand-built network whose best pairs are known."""

from __future__ import annotations

from pathlib import Path

import pytest

from schakel.graph.local import LocalGraphStore
from schakel.graph.model import Domain, Member, Region, Relationship, Theme
from schakel.matching.reciprocal import Reciprocal, harmonic

R = Relationship.of


@pytest.fixture
def store(tmp_path: Path) -> LocalGraphStore:
    """Anna seeks autism and offers truancy. Bram is her mirror image next door (the best
    pair); Cees is the same but 150 km away; Dirk offers what she seeks but seeks nothing
    she brings (one-sided: never suggested); Eva knows a narrower theme; Femke is the mirror
    image but hidden; Gijs withheld consent; Hanna is one Anna already knows."""
    s = LocalGraphStore(tmp_path / "g.sqlite")
    nodes = [Theme(id="autisme", name="Autisme"), Theme(id="verzuim", name="Verzuim"),
             Theme(id="thuiszitters", name="Thuiszitters"), Theme(id="lvb", name="LVB"),
             Domain(id="onderwijs", name="Onderwijs"), Domain(id="zorg", name="Zorg"),
             Region(id="gm-emmen", name="Emmen", kind="gemeente", lat=52.78, lon=6.9),
             Region(id="gm-coevorden", name="Coevorden", kind="gemeente", lat=52.66, lon=6.74),
             Region(id="gm-leiden", name="Leiden", kind="gemeente", lat=52.16, lon=4.49)]
    people = {"anna": {}, "bram": {}, "cees": {}, "dirk": {}, "eva": {},
              "femke": {"visibility": "staff"}, "gijs": {"consent_matching": False},
              "hanna": {}}
    nodes += [Member(id=k, name=k.capitalize(), **v) for k, v in people.items()]
    rels = [R("BROADER", "thuiszitters", "verzuim"),
            R("SEEKS", "anna", "autisme"), R("OFFERS", "anna", "verzuim", level=3),
            R("BASED_IN", "anna", "gm-emmen"), R("ACTIVE_IN", "anna", "onderwijs"),
            R("KNOWS", "anna", "hanna")]
    for mirror, place in (("bram", "gm-coevorden"), ("cees", "gm-leiden"),
                          ("femke", "gm-emmen"), ("gijs", "gm-emmen"), ("hanna", "gm-emmen")):
        rels += [R("OFFERS", mirror, "autisme", level=3), R("SEEKS", mirror, "verzuim"),
                 R("BASED_IN", mirror, place), R("ACTIVE_IN", mirror, "onderwijs")]
    rels += [R("ACTIVE_IN", "bram", "zorg")]
    rels += [R("OFFERS", "dirk", "autisme", level=3), R("SEEKS", "dirk", "lvb"),
             R("BASED_IN", "dirk", "gm-emmen")]
    # Eva brings autism only as a theme she works on, and seeks the narrower thuiszitters
    rels += [R("WORKS_ON", "eva", "autisme", level=2), R("SEEKS", "eva", "thuiszitters"),
             R("BASED_IN", "eva", "gm-emmen"), R("ACTIVE_IN", "eva", "zorg")]
    s.write(nodes, rels)
    return s


def test_best_pairs_in_order_with_both_sides(store: LocalGraphStore) -> None:
    pairs = Reciprocal(store).suggest("anna")
    # a full match next door, then a full match far away (near first, not near only), then
    # a partial match next door from another domain
    assert [p.candidate.id for p in pairs] == ["bram", "cees", "eva"]
    best = pairs[0]
    assert best.mine.matches == (("autisme", "autisme", 3, True),)
    assert best.theirs.matches == (("verzuim", "verzuim", 3, True),)
    assert best.km is not None and best.km < 20 and not best.cross_domain
    eva = pairs[2]
    assert eva.cross_domain  # onderwijs meets zorg
    assert eva.theirs.matches == (("thuiszitters", "verzuim", 3, True),)  # broader theme
    assert eva.mine.matches == (("autisme", "autisme", 2, False),)  # works on it
    # both sides must gain: Dirk only gives; hidden, unconsenting and known people never show
    assert {"dirk", "femke", "gijs", "hanna"}.isdisjoint(p.candidate.id for p in pairs)
    assert harmonic(best.mine.score, best.theirs.score) == 1.0


def test_is_symmetric_and_follows_writes(store: LocalGraphStore) -> None:
    index = Reciprocal(store)
    assert "anna" in [p.candidate.id for p in index.suggest("bram")]
    assert index.suggest("dirk") == []  # nobody offers lvb
    written = store.write(relationships=[R("OFFERS", "cees", "lvb", level=1)])
    after = index.apply(store, written.changes)
    assert [p.candidate.id for p in after.suggest("dirk")] == []  # Cees seeks no autism
    written = store.write(relationships=[R("SEEKS", "cees", "autisme")])
    after = after.apply(store, written.changes)
    assert [p.candidate.id for p in after.suggest("dirk")] == ["cees"]
    hidden = store.write([Member(id="bram", name="Bram", visibility="none")])
    after = after.apply(store, hidden.changes)
    assert "bram" not in [p.candidate.id for p in after.suggest("anna")]
    assert "bram" in [p.candidate.id for p in index.suggest("anna")]  # the old one unchanged
    store.delete(["eva"])
    assert index.suggest("anna")[2].candidate.id == "eva"
    rebuilt = Reciprocal(store)
    assert "eva" not in [p.candidate.id for p in rebuilt.suggest("anna")]
