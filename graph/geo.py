"""Offline gazetteer of the Netherlands: gemeenten, named regions, provincies and the land.

Everything comes from two files in ``schakel.seeds``: ``gemeenten.csv`` (GeoNames-derived, see
``seeds/ATTRIBUTION.md``) and the hand-made ``regions.yaml``. Nothing is fetched at run time.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from schakel.errors import UnknownPlaceError

from .names import closest, fold, slug

__all__ = ["EARTH_RADIUS_KM", "KINDS", "Gazetteer", "Place", "haversine_km"]

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
KINDS = ("gemeente", "regio", "jeugdregio", "provincie", "land")
_RANK = {"gemeente": 0, "regio": 1, "jeugdregio": 1, "provincie": 2, "land": 3}

# Dutch name -> other names people use, English ones included (GeoNames' admin1).
_PROVINCIES: dict[str, tuple[str, ...]] = {
    "Drenthe": (), "Flevoland": (), "Fryslân": ("Friesland",), "Gelderland": (),
    "Groningen": (), "Limburg": (), "Noord-Brabant": ("North Brabant", "Brabant"),
    "Noord-Holland": ("North Holland",), "Overijssel": (), "Utrecht": (), "Zeeland": (),
    "Zuid-Holland": ("South Holland",),
}  # fmt: skip
_LAND_ALIASES = ("Nederland (landelijk)", "landelijk", "online", "Netherlands", "The Netherlands")


@dataclass(frozen=True)
class Place:
    """A gemeente, regio, jeugdregio, provincie or the land, with its centroid.

    ``provincie`` is the ``pv-…`` id for gemeenten, and for regions whose gemeenten all lie in one
    provincie; otherwise None. ``parts`` lists the gemeente ids a larger place covers.
    """

    id: str
    name: str
    kind: str
    lat: float
    lon: float
    provincie: str | None
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two WGS84 points (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _centred(
    pid: str, name: str, kind: str, members: list[Place], provincie: str | None = None, **extra: Any
) -> Place:
    # Larger places sit at the mean of their gemeenten; good enough for "how far" questions.
    if not members:
        raise ValueError(f"{pid} covers no gemeente")
    lat = sum(g.lat for g in members) / len(members)
    lon = sum(g.lon for g in members) / len(members)
    parts = tuple(sorted(g.id for g in members))
    return Place(pid, name, kind, round(lat, 5), round(lon, 5), provincie, parts=parts, **extra)


def _index(places: Iterable[Place]) -> dict[str, Place]:
    # Tiers, first claim wins: gemeente names, other names, gemeente aliases, other aliases.
    # So "Utrecht" is the gemeente, "provincie Utrecht" the provincie.
    ordered = sorted(places, key=lambda p: p.id)
    index: dict[str, Place] = {}
    for tier in range(4):
        claimed: dict[str, Place] = {}
        for p in ordered:
            if (p.kind == "gemeente") != (tier % 2 == 0):
                continue
            for text in (p.name,) if tier < 2 else p.aliases:
                key = fold(text)
                if key in claimed and claimed[key] is not p:
                    raise ValueError(f"name {text!r} is used by {claimed[key].id} and {p.id}")
                claimed[key] = p
                index.setdefault(key, p)
    return index


class Gazetteer:
    """Look up Dutch places by id, name or alias; distances and containment between them.

    Examples
    --------
    >>> gaz = Gazetteer.load()
    >>> gaz.find("Den Haag").id
    'gm-s-gravenhage'
    >>> round(gaz.distance_km("Amsterdam", "Rotterdam"))
    57
    """

    def __init__(self, places: Iterable[Place]) -> None:
        self._by_id = {p.id: p for p in places}
        self._by_key = _index(self._by_id.values())
        self._containing: dict[str, list[Place]] = {}
        for p in sorted(self._by_id.values(), key=lambda p: (_RANK[p.kind], p.id)):
            for part in p.parts:
                self._containing.setdefault(part, []).append(p)

    @classmethod
    def load(cls) -> Gazetteer:
        """The gazetteer built from the packaged seed files (cached; built once per process)."""
        return _load_packaged()

    @classmethod
    def from_sources(cls, gemeenten_csv: str, regions_yaml: str) -> Gazetteer:
        """Build a gazetteer from the text of ``gemeenten.csv`` and ``regions.yaml``.

        Parameters
        ----------
        gemeenten_csv : str
            CSV with columns ``id,name,provincie,lat,lon,aliases`` (aliases ``;``-separated).
        regions_yaml : str
            YAML with ``regions`` (a list) and ``tags`` (gemeente name -> list of tags).

        Returns
        -------
        Gazetteer
            Gemeenten, the regions, the 12 provincies and the land ``nl``.

        Raises
        ------
        UnknownPlaceError
            If ``regions.yaml`` names a gemeente that is not in ``gemeenten.csv``.
        ValueError
            If a region has an unknown kind or no gemeenten, or two places share a name.
        """
        gemeenten: dict[str, Place] = {}
        for row in csv.DictReader(io.StringIO(gemeenten_csv)):
            gemeenten[row["id"]] = Place(
                id=row["id"],
                name=row["name"],
                kind="gemeente",
                lat=float(row["lat"]),
                lon=float(row["lon"]),
                provincie="pv-" + slug(row["provincie"]),
                aliases=tuple(a for a in row["aliases"].split(";") if a),
            )
        data = yaml.safe_load(regions_yaml) or {}
        only_gemeenten = Gazetteer(gemeenten.values())

        def gemeente(name: str, where: str) -> Place:
            found = only_gemeenten.find(name)
            if found is None:
                err = UnknownPlaceError(name)
                err.add_note(f"regions.yaml: {where} names a gemeente that gemeenten.csv lacks")
                raise err
            return found

        for name, tags in (data.get("tags") or {}).items():
            g = gemeente(name, f"tags[{name!r}]")
            gemeenten[g.id] = replace(g, tags=tuple(dict.fromkeys(g.tags + tuple(tags))))
        places = list(gemeenten.values())
        for entry in data.get("regions") or []:
            if entry["kind"] not in ("regio", "jeugdregio"):
                raise ValueError(f"{entry['id']}: kind must be regio or jeugdregio")
            members = [gemeenten[gemeente(n, entry["id"]).id] for n in entry["gemeenten"]]
            pvs = {g.provincie for g in members}
            places.append(
                _centred(
                    entry["id"],
                    entry["name"],
                    entry["kind"],
                    members,
                    provincie=pvs.pop() if len(pvs) == 1 else None,
                    aliases=tuple(entry.get("aliases") or ()),
                    tags=tuple(entry.get("tags") or ()),
                )
            )
        for name, extra in _PROVINCIES.items():
            pid = "pv-" + slug(name)
            members = [g for g in gemeenten.values() if g.provincie == pid]
            aliases = (*extra, *(f"provincie {n}" for n in (name, *extra)), f"{name} (provincie)")
            places.append(_centred(pid, name, "provincie", members, aliases=aliases))
        everything = list(gemeenten.values())
        places.append(_centred("nl", "Nederland", "land", everything, aliases=_LAND_ALIASES))
        return cls(places)

    def find(self, name_or_id: str) -> Place | None:
        """The place with this id, name or alias (case, accents and punctuation ignored), or None.

        A gemeente's own name wins over a region or provincie of the same name.
        """
        text = name_or_id.strip()
        return self._by_id.get(text.lower()) or self._by_key.get(fold(text))

    def suggest(self, name: str) -> Place | None:
        """The place a misspelt name most likely means ("Enschde" -> Enschede): the closest
        name or alias (:func:`~schakel.graph.names.closest`); None when nothing is that close.
        A suggestion, never a silent reading."""
        if self.find(name) is not None:
            return None
        return closest(name, self._by_key)

    def hint(self, name: str) -> str:
        """" Bedoelde u Enschede?" for a misspelt place name, else ""."""
        place = self.suggest(name)
        return f" Bedoelde u {place.name}?" if place is not None else ""

    def resolve(self, name_or_id: str | Place) -> Place:
        """Like :meth:`find`, but never None.

        Parameters
        ----------
        name_or_id : str or Place
            Id, name or alias; a Place is looked up again by its id.

        Raises
        ------
        UnknownPlaceError
            If nothing in the gazetteer has this id, name or alias.
        """
        if isinstance(name_or_id, Place):
            return self._by_id.get(name_or_id.id) or self.resolve(name_or_id.id)
        found = self.find(name_or_id)
        if found is None:
            close = self.suggest(name_or_id)
            raise UnknownPlaceError(name_or_id, close.name if close else None)
        return found

    def distance_km(self, a: str | Place, b: str | Place) -> float:
        """Great-circle distance between the centroids of two places.

        Parameters
        ----------
        a, b : str or Place
            Places as accepted by :meth:`resolve`.

        Returns
        -------
        float
            Haversine distance in km (Earth radius ``EARTH_RADIUS_KM``); 0.0 for a place to itself.
        """
        pa, pb = self.resolve(a), self.resolve(b)
        return haversine_km(pa.lat, pa.lon, pb.lat, pb.lon)

    def places(self, kind: str | None = None) -> list[Place]:
        """All places, or those of one kind, sorted by id."""
        if kind is not None and kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        chosen = (p for p in self._by_id.values() if kind in (None, p.kind))
        return sorted(chosen, key=lambda p: p.id)

    def gemeenten_of(self, place: str | Place) -> list[Place]:
        """The gemeenten a place covers: a gemeente gives itself."""
        p = self.resolve(place)
        return [p] if p.kind == "gemeente" else [self._by_id[i] for i in p.parts]

    def containing(self, gemeente: str | Place) -> list[Place]:
        """Regions, provincie and land that contain a place, smallest kinds first.

        For a region this is every larger place that covers all of its gemeenten.
        """
        p = self.resolve(gemeente)
        if p.kind == "gemeente":
            return list(self._containing.get(p.id, []))
        inner, around = set(p.parts), self._containing.get(p.parts[0], [])
        return [q for q in around if q is not p and inner <= set(q.parts)]

    def part_of(self) -> list[tuple[str, str]]:
        """``(child id, parent id)`` edges: gemeente -> provincie and regions, provincie -> land."""
        edges = []
        for g in self.places("gemeente"):
            edges += [(g.id, q.id) for q in self._containing.get(g.id, []) if q.kind != "land"]
        edges += [(p.id, "nl") for p in self.places("provincie")]
        return edges


@lru_cache(maxsize=1)
def _load_packaged() -> Gazetteer:
    seeds = resources.files("schakel.seeds")
    return Gazetteer.from_sources(
        seeds.joinpath("gemeenten.csv").read_text(encoding="utf-8"),
        seeds.joinpath("regions.yaml").read_text(encoding="utf-8"),
    )
