"""Tests for the offline gazetteer (graph/geo.py) and the seed files it reads."""

from __future__ import annotations

from importlib import resources

import pytest

from schakel.errors import UnknownPlaceError
from schakel.graph.geo import Gazetteer, Place, haversine_km
from schakel.graph.names import slug

PROVINCIES = {
    "Drenthe", "Flevoland", "Fryslân", "Gelderland", "Groningen", "Limburg", "Noord-Brabant",
    "Noord-Holland", "Overijssel", "Utrecht", "Zeeland", "Zuid-Holland",
}  # fmt: skip
TWENTE = {
    "Almelo", "Borne", "Dinkelland", "Enschede", "Haaksbergen", "Hellendoorn", "Hengelo",
    "Hof van Twente", "Losser", "Oldenzaal", "Rijssen-Holten", "Tubbergen", "Twenterand", "Wierden",
}  # fmt: skip
# Bounding box of the European Netherlands, a little generous.
LAT_RANGE, LON_RANGE = (50.70, 53.60), (3.30, 7.25)


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.load()


def _seed_text(name: str) -> str:
    return resources.files("schakel.seeds").joinpath(name).read_text(encoding="utf-8")


def test_load_is_cached(gaz: Gazetteer) -> None:
    assert Gazetteer.load() is gaz


def test_gemeente_count_and_all_provincies(gaz: Gazetteer) -> None:
    gemeenten = gaz.places("gemeente")
    assert 330 <= len(gemeenten) <= 350
    assert {p.name for p in gaz.places("provincie")} == PROVINCIES
    assert {p.id for p in gaz.places("land")} == {"nl"}


def test_every_gemeente_has_provincie_and_coordinates_in_nl(gaz: Gazetteer) -> None:
    provincie_ids = {p.id for p in gaz.places("provincie")}
    for g in gaz.places("gemeente"):
        assert g.provincie in provincie_ids, g
        assert LAT_RANGE[0] < g.lat < LAT_RANGE[1], g
        assert LON_RANGE[0] < g.lon < LON_RANGE[1], g
        assert g.id == "gm-" + slug(g.name)
        assert g.parts == ()


def test_each_gemeente_in_exactly_one_provincie(gaz: Gazetteer) -> None:
    counted = [part for p in gaz.places("provincie") for part in p.parts]
    assert sorted(counted) == sorted(g.id for g in gaz.places("gemeente"))
    assert all(p.id.startswith("pv-") for p in gaz.places("provincie"))


def test_merged_gemeenten_are_gone_but_resolve(gaz: Gazetteer) -> None:
    names = {g.name for g in gaz.places("gemeente")}
    for old, new in [
        ("Uden", "gm-maashorst"),
        ("Landerd", "gm-maashorst"),
        ("Heerhugowaard", "gm-dijk-en-waard"),
        ("Langedijk", "gm-dijk-en-waard"),
        ("Weesp", "gm-amsterdam"),
        ("Beemster", "gm-purmerend"),
        ("Delfzijl", "gm-eemsdelta"),
        ("Brielle", "gm-voorne-aan-zee"),
        ("Hellevoetsluis", "gm-voorne-aan-zee"),
        ("Leeuwarderadeel", "gm-leeuwarden"),
        ("Haaren", "gm-oisterwijk"),  # the village; the gemeente was split in 2021
    ]:
        assert old not in names
        assert gaz.resolve(old).id == new, old
    assert {"Dijk en Waard", "Maashorst", "Land van Cuijk", "Voorne aan Zee"} <= names


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Den Haag", "gm-s-gravenhage"),
        ("'s-Gravenhage", "gm-s-gravenhage"),
        ("s gravenhage", "gm-s-gravenhage"),
        ("  DEN HAAG ", "gm-s-gravenhage"),
        ("Den Bosch", "gm-s-hertogenbosch"),
        ("'s-Hertogenbosch", "gm-s-hertogenbosch"),
        ("SÚDWEST-FRYSLÂN", "gm-sudwest-fryslan"),
        ("sudwest fryslan", "gm-sudwest-fryslan"),
        ("Sneek", "gm-sudwest-fryslan"),
        ("Friesland", "pv-fryslan"),
        ("Fryslân", "pv-fryslan"),
        ("FRYSLAN", "pv-fryslan"),
        ("South Holland", "pv-zuid-holland"),
        ("Uden", "gm-maashorst"),
        ("Overvecht", "gm-utrecht"),
        ("Utrecht", "gm-utrecht"),  # the gemeente wins over the provincie
        ("provincie Utrecht", "pv-utrecht"),
        ("Groningen", "gm-groningen"),
        ("Bergen (NH)", "gm-bergen-nh"),
        ("Bergen (L.)", "gm-bergen-l"),
        ("Twente", "rg-regio-twente"),
        ("Regio Twente", "rg-regio-twente"),
        ("Noordwest-Veluwe", "rg-noordwest-veluwe"),
        ("Nederland (landelijk)", "nl"),
        ("landelijk", "nl"),
        ("online", "nl"),
        ("GM-UTRECHT", "gm-utrecht"),
        ("pv-fryslan", "pv-fryslan"),
    ],
)
def test_find_by_name_alias_and_id(gaz: Gazetteer, query: str, expected: str) -> None:
    found = gaz.find(query)
    assert found is not None, query
    assert found.id == expected


def test_ambiguous_and_unknown_names(gaz: Gazetteer) -> None:
    assert gaz.find("Bergen") is None  # two gemeenten: Bergen (L) and Bergen (NH)
    assert gaz.find("Atlantis") is None
    with pytest.raises(UnknownPlaceError) as info:
        gaz.resolve("Atlantis")
    assert info.value.name == "Atlantis"
    with pytest.raises(UnknownPlaceError):
        gaz.distance_km("Amsterdam", "Atlantis")
    with pytest.raises(ValueError, match="kind"):
        gaz.places("stad")


def test_places_named_in_the_network_resolve(gaz: Gazetteer) -> None:
    # Every place of DOMAIN.md's table.
    for name in [
        "Almere", "Holland-Rijnland", "Noordoost-Friesland", "Zuid-Kennemerland", "De Meierij",
        "Leeuwarden", "Regio Twente", "Zuid-Limburg", "FoodValley", "Noord-Kennemerland",
        "Utrecht", "Overvecht", "Den Haag", "Arnhem", "Deventer", "Amersfoort", "Uden",
        "Amsterdam", "Emmen", "Veenendaal", "Breda", "Oosterhout", "Noordwest Veluwe", "Apeldoorn",
        "Kampen", "Lelystad", "Zwolle", "Stichtse Vecht", "Rotterdam", "Texel",
        "Nederland (landelijk)",
    ]:  # fmt: skip
        assert gaz.find(name) is not None, name


def test_distances_against_known_values(gaz: Gazetteer) -> None:
    # Straight-line distances between the city centres: Amsterdam-Rotterdam ~57 km,
    # Groningen-Maastricht ~270 km, Den Haag-Delft ~8 km.
    assert gaz.distance_km("Amsterdam", "Rotterdam") == pytest.approx(57, abs=3)
    assert gaz.distance_km("Groningen", "Maastricht") == pytest.approx(270, abs=6)
    assert gaz.distance_km("Den Haag", "Delft") == pytest.approx(8, abs=3)


def test_distance_symmetric_and_zero_to_self(gaz: Gazetteer) -> None:
    a, b = gaz.resolve("Enschede"), "Middelburg"
    assert gaz.distance_km(a, b) == pytest.approx(gaz.distance_km(b, a))
    assert gaz.distance_km("Zwolle", "Zwolle") == 0.0
    assert gaz.distance_km("Den Haag", "'s-Gravenhage") == 0.0
    assert haversine_km(52.0, 5.0, 53.0, 5.0) == pytest.approx(111.19, abs=0.01)


def test_regio_twente(gaz: Gazetteer) -> None:
    twente = gaz.resolve("Regio Twente")
    assert twente.kind == "jeugdregio"
    assert twente.provincie == "pv-overijssel"
    assert {g.name for g in gaz.gemeenten_of(twente)} == TWENTE
    assert gaz.resolve("Enschede").id in twente.parts
    assert "inspiratieregio" in twente.tags


def test_region_sizes(gaz: Gazetteer) -> None:
    sizes = {"Zuid-Limburg": 16, "Holland-Rijnland": 13, "FoodValley": 8, "Noordwest Veluwe": 6}
    for name, size in sizes.items():
        assert len(gaz.gemeenten_of(name)) == size, name


def test_foodvalley_crosses_provincie_border(gaz: Gazetteer) -> None:
    foodvalley, veenendaal = gaz.resolve("FoodValley"), gaz.resolve("Veenendaal")
    assert veenendaal.provincie == "pv-utrecht"
    assert veenendaal in gaz.gemeenten_of(foodvalley)
    assert gaz.resolve("Ede").provincie == "pv-gelderland"
    assert foodvalley.provincie is None  # gemeenten in two provincies
    assert foodvalley in gaz.containing(veenendaal)


def test_region_centroid_is_mean_of_gemeenten(gaz: Gazetteer) -> None:
    region = gaz.resolve("Zuid-Kennemerland")
    members = gaz.gemeenten_of(region)
    assert region.lat == pytest.approx(sum(g.lat for g in members) / len(members), abs=1e-5)
    assert region.lon == pytest.approx(sum(g.lon for g in members) / len(members), abs=1e-5)


def test_gemeenten_of(gaz: Gazetteer) -> None:
    zwolle = gaz.resolve("Zwolle")
    assert gaz.gemeenten_of("Zwolle") == [zwolle]
    assert len(gaz.gemeenten_of("nl")) == len(gaz.places("gemeente"))
    assert zwolle in gaz.gemeenten_of("Overijssel")


def test_containing(gaz: Gazetteer) -> None:
    ids = [p.id for p in gaz.containing("Enschede")]
    assert {"rg-regio-twente", "pv-overijssel", "nl"} <= set(ids)
    assert ids[-2:] == ["pv-overijssel", "nl"]  # regions first, then provincie, then land
    assert [p.id for p in gaz.containing("Regio Twente")] == ["pv-overijssel", "nl"]
    assert gaz.containing("nl") == []


def test_part_of_edges(gaz: Gazetteer) -> None:
    edges = gaz.part_of()
    ids = {p.id for p in gaz.places()}
    assert all(child in ids and parent in ids for child, parent in edges)
    kinds = {p.id: p.kind for p in gaz.places()}
    for g in gaz.places("gemeente"):
        parents = [parent for child, parent in edges if child == g.id]
        assert [p for p in parents if kinds[p] == "provincie"] == [g.provincie]
    assert sorted(c for c, p in edges if p == "nl") == [p.id for p in gaz.places("provincie")]
    assert ("gm-enschede", "rg-regio-twente") in edges
    assert ("gm-veenendaal", "rg-foodvalley") in edges
    assert len(edges) == len(set(edges))


def test_inspiratieregio_and_lerende_praktijk_tags(gaz: Gazetteer) -> None:
    tagged = [p for p in gaz.places() if "inspiratieregio" in p.tags]
    assert len(tagged) == 11
    gemeenten = {p.name for p in tagged if p.kind == "gemeente"}
    assert gemeenten == {"Almere", "Leeuwarden", "Utrecht"}
    # A one-gemeente inspiratieregio is no region node of its own.
    regions = gaz.places("regio") + gaz.places("jeugdregio")
    assert not any(p.name in gemeenten for p in regions)
    praktijken = {p.name for p in gaz.places() if "lerende-praktijk" in p.tags}
    assert praktijken == {"Amsterdam", "Emmen", "Veenendaal"}


def test_unknown_gemeente_in_regions_yaml_fails_at_load() -> None:
    csv_text = _seed_text("gemeenten.csv")
    regions = "regions:\n  - {id: rg-x, name: X, kind: regio, gemeenten: [Zwolle, Atlantis]}\n"
    with pytest.raises(UnknownPlaceError) as info:
        Gazetteer.from_sources(csv_text, regions)
    assert info.value.name == "Atlantis"
    assert any("regions.yaml" in note for note in info.value.__notes__)
    with pytest.raises(UnknownPlaceError):
        Gazetteer.from_sources(csv_text, "tags:\n  Atlantis: [inspiratieregio]\n")


def test_shared_region_alias_fails_at_load() -> None:
    regions = (
        "regions:\n"
        "  - {id: rg-a, name: A, kind: regio, aliases: [Samen], gemeenten: [Zwolle]}\n"
        "  - {id: rg-b, name: B, kind: regio, aliases: [samen], gemeenten: [Kampen]}\n"
    )
    with pytest.raises(ValueError, match="samen"):
        Gazetteer.from_sources(_seed_text("gemeenten.csv"), regions)


def test_place_is_immutable(gaz: Gazetteer) -> None:
    place = gaz.resolve("Zwolle")
    assert isinstance(place, Place)
    with pytest.raises(AttributeError):
        place.name = "Zwol"  # type: ignore[misc]


@pytest.mark.parametrize(("typed", "meant"), [
    ("Enschde", "Enschede"), ("Amstredam", "Amsterdam"), ("Regio Twnte", "Regio Twente"),
    ("zwole", "Zwolle")])
def test_a_misspelt_place_is_suggested_never_read_silently(gaz: Gazetteer, typed: str,
                                                          meant: str) -> None:
    assert gaz.find(typed) is None  # the name itself still resolves to nothing
    assert gaz.suggest(typed).name == meant  # type: ignore[union-attr]
    assert gaz.hint(typed) == f" Bedoelde u {meant}?"
    with pytest.raises(UnknownPlaceError) as err:
        gaz.resolve(typed)
    assert err.value.suggestion == meant and str(err.value).endswith(f"Bedoelde u {meant}?")


@pytest.mark.parametrize("typed", ["Atlantis", "Emmen", "Ede", "Twente", "xyz"])
def test_no_suggestion_for_a_known_or_far_off_name(gaz: Gazetteer, typed: str) -> None:
    assert gaz.suggest(typed) is None and gaz.hint(typed) == ""
