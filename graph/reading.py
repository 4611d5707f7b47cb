"""Reading the names another tool wrote: by id, name or synonym first, then by a part of a
label written as "A / B / C", then a close spelling (rapidfuzz, only above a high score).
Whatever was not read exactly comes with a note, so an import can report it as a warning
("las 'kennis' als 'Kennis en onderzoek'"): nothing is changed silently.

A mapping (``schakel import --map FILE.yaml``) names a file's own words first:

    themes: {"Jeugd en school": thuiszitters}
    domains: {kennis: wetenschap}
    kind: {ziekenhuis: zorgaanbieder}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from .lookup import Lookup
from .names import fold

__all__ = ["Read", "Reader", "MAP_KEYS", "ENUM_WORDS"]

# A close spelling counts from this rapidfuzz ratio (0-100) on, when no other
# candidate comes close; below it the value is an error, never a guess.
FUZZY_MIN = 90
_PARTS = re.compile(r"\s*[/|()]\s*")
_PART_MIN = 3  # a part shorter than this ("A", "of") is no name

# Dutch words files use for Schakel's fixed values (folded word -> value).
ENUM_WORDS: dict[str, dict[str, str]] = {
    "kind": {  # organisation kinds
        "basisschool": "school", "middelbare school": "school", "vo school": "school",
        "mbo": "school", "mbo school": "school", "sbo": "school", "so": "school",
        "speciaal onderwijs": "school", "ikc": "kindcentrum",
        "integraal kindcentrum": "kindcentrum", "bso": "kinderopvang",
        "kinderdagverblijf": "kinderopvang", "peuteropvang": "kinderopvang",
        "swv": "samenwerkingsverband", "ziekenhuis": "zorgaanbieder", "ggz": "zorgaanbieder",
        "huisartsenpraktijk": "zorgaanbieder", "ggd": "ggd-jgz", "jgz": "ggd-jgz",
        "hogeschool": "hogeschool-universiteit", "universiteit": "hogeschool-universiteit",
        "sociaal wijkteam": "wijkteam", "jeugdteam": "wijkteam", "jeugdzorg": "jeugdhulpaanbieder",
        "branchevereniging": "koepel", "sectorraad": "koepel", "beroepsvereniging": "koepel",
        "onderzoeksinstituut": "kennisinstituut", "inspectie": "toezicht",
    },
    "roles": {"lid": "member", "ambassadeur": "ambassador", "bestuurlijk ambassadeur":
              "ambassador", "kennisverbinder": "verbinder"},
    "visibility": {"leden": "members", "alle leden": "members", "regiebureau": "staff",
                   "medewerkers": "staff", "niemand": "none"},
    "private_fields": {"organisatie": "organisation", "functie": "function",
                       "thema s": "themes", "themas": "themes", "contactgegevens": "contact"},
    "community_kind": {"community of practice": "cop", "intervisie": "intervisiegroep"},
}
# What a mapping file may name: reference fields and the fixed values above.
MAP_KEYS = ("themes", "domains", "organisations", "places", "kind", "relation", "roles",
            "visibility", "private_fields", "community_kind")


@dataclass(frozen=True)
class Read:
    """A value as read: the id (or fixed value) and, when not read exactly, how."""

    value: str
    note: str | None = None


class Reader:
    """Names of one store (through its lookup) and one optional mapping, read leniently."""

    def __init__(self, lookup: Lookup, mapping: dict[str, dict[str, str]] | None = None,
                 name_of: Callable[[str], str | None] | None = None, *,
                 lenient: bool = True) -> None:
        self.lookup = lookup
        self.lenient = lenient  # False: ids, names, synonyms and case only (the API)
        self.mapping = {key: {fold(k): v for k, v in (words or {}).items()}
                        for key, words in (mapping or {}).items()}
        self._name_of = name_of or (lambda _id: None)

    # -- reference data ---------------------------------------------------------------------
    def theme(self, ref: str) -> Read | None:
        return self._named("themes", "Theme", ref, self.lookup.theme)

    def domain(self, ref: str) -> Read | None:
        return self._named("domains", "Domain", ref, self.lookup.domain)

    def organisation(self, ref: str) -> Read | None:
        # Organisations are not guessed: a near name may well be another school.
        return self._named("organisations", None, ref, self.lookup.organisation)

    def region(self, ref: str) -> Read | None:
        return self._named("places", "Region", ref, self.lookup.region)

    def gemeente(self, ref: str) -> Read | None:
        if self.lookup.region(ref) and not self.lookup.gemeente(ref):
            return None  # a region or provincie: not a gemeente, and no near one either
        return self._named("places", "gemeente", ref, self.lookup.gemeente)

    def _named(self, key: str, fuzzy: str | None, ref: str,
               find: Callable[[str], str | None]) -> Read | None:
        mapped = self.mapping.get(key, {}).get(fold(ref))
        if mapped is not None:
            found = find(mapped)
            return Read(found) if found else None
        found = find(ref)
        if found is not None or not self.lenient:
            return Read(found) if found else None
        for part in _parts(ref):
            found = find(part)
            if found is not None:
                return Read(found, self._as(ref, found))
        if fuzzy is None:
            return None
        best = _closest(ref, self._keys(fuzzy))
        if best is None:
            return None
        found = find(best)
        return Read(found, self._as(ref, found, close=True)) if found else None

    def _keys(self, what: str) -> dict[str, str]:
        if what == "Region":
            return {fold(p.name): p.id for p in self.lookup.gazetteer.places()}
        if what == "gemeente":
            return {fold(p.name): p.id for p in self.lookup.gazetteer.places("gemeente")}
        return self.lookup.keys(what)

    def _as(self, ref: str, found: str, *, close: bool = False) -> str:
        name = self._name_of(found) or found
        return f"las {ref!r} als {name!r}" + (" (lijkt er sterk op)" if close else "")

    # -- fixed values -----------------------------------------------------------------------
    def choice(self, key: str, ref: Any, options: Iterable[str]) -> Read | None:
        """One of ``options``: exactly, case-insensitively, by a Dutch word for it, by the
        mapping, by a part of "A / B", or by a close spelling."""
        if not isinstance(ref, str):
            return None
        options = tuple(options)
        folded = {fold(o): o for o in options}
        mapped = self.mapping.get(key, {}).get(fold(ref))
        if mapped is not None:
            return Read(mapped) if mapped in options else None
        if ref in options:
            return Read(ref)
        if fold(ref) in folded:  # only the case or accents differ: no change of meaning
            return Read(folded[fold(ref)])
        if not self.lenient:
            return None
        words = {**folded, **{w: v for w, v in ENUM_WORDS.get(key, {}).items()
                              if v in options}}
        for part in [ref, *_parts(ref)]:
            value = words.get(fold(part))
            if value is not None:
                return Read(value, f"las {ref!r} als {value!r}")
        best = _closest(ref, words)
        if best is not None:
            return Read(words[best], f"las {ref!r} als {words[best]!r} (lijkt er sterk op)")
        return None


def _parts(ref: str) -> list[str]:
    parts = [p for p in _PARTS.split(ref.strip()) if len(fold(p)) >= _PART_MIN]
    return parts if len(parts) > 1 else []


def _score(query: str, key: str, **_: Any) -> float:
    """A close spelling ("Enschde"), or every word of ``query`` in ``key`` ("kennis" in
    "kennis en onderzoek"); never a key inside a longer query ("huizen" in "Nergenshuizen")."""
    score = fuzz.ratio(query, key)
    if score < FUZZY_MIN and set(query.split()) <= set(key.split()):
        score = FUZZY_MIN
    return score


def _closest(ref: str, keys: dict[str, str]) -> str | None:
    """The one key that ``ref`` is a close spelling of, or None when none or several are."""
    query = fold(ref)
    if len(query) < 4 or not keys:
        return None
    hits = process.extract(query, list(keys), scorer=_score, score_cutoff=FUZZY_MIN, limit=5)
    if not hits:
        return None
    best_key, best_score, _ = hits[0]
    rivals = {keys[k] for k, score, _ in hits if score >= best_score - 3}
    return best_key if len(rivals) == 1 else None
