"""Name folding shared by every lookup by name (places, themes, organisations)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import TypeVar

from rapidfuzz import fuzz, process

T = TypeVar("T")
# A misspelt name is suggested from this rapidfuzz ratio (0-100) on, and only when nothing
# else comes within SUGGEST_MARGIN of it: a suggestion to confirm, never a silent reading.
SUGGEST_MIN, SUGGEST_MARGIN = 80, 4

_NON_WORD = re.compile(r"[^a-z0-9]+")


def fold(name: str) -> str:
    """Fold a name for case- and accent-insensitive lookup.

    ``"'s-Gravenhage"`` and ``"s Gravenhage"`` fold alike, as do ``"Fryslân"`` and ``"fryslan"``.

    Examples
    --------
    >>> fold("Súdwest-Fryslân")
    'sudwest fryslan'
    >>> fold("  'S-Hertogenbosch ")
    's hertogenbosch'
    """
    if name.isascii():  # most texts: nothing to decompose (a profile per member at start)
        ascii_only = name
    else:
        decomposed = unicodedata.normalize("NFKD", name)
        ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", ascii_only.lower()).strip()


def slug(name: str) -> str:
    """A stable id fragment: folded, words joined by hyphens.

    >>> slug("Noord-Kennemerland")
    'noord-kennemerland'
    >>> slug("'s-Hertogenbosch")
    's-hertogenbosch'
    """
    return fold(name).replace(" ", "-")


def closest(name: str, known: Mapping[str, T]) -> T | None:
    """What a misspelt ``name`` most likely means among ``known`` (folded name -> thing):
    the closest key by rapidfuzz ratio, from ``SUGGEST_MIN`` on and clearly ahead of any key
    of another thing; None when nothing is that close or ``name`` is too short to judge.

    >>> closest("Enschde", {"enschede": "gm-enschede", "emmen": "gm-emmen"})
    'gm-enschede'
    """
    key = fold(name)
    if len(key) < 4:
        return None
    found = process.extract(key, list(known), scorer=fuzz.ratio, limit=5,
                            score_cutoff=SUGGEST_MIN)
    if not found:
        return None
    best = known[found[0][0]]
    rivals = [score for k, score, _ in found[1:] if known[k] != best]
    return None if rivals and rivals[0] > found[0][1] - SUGGEST_MARGIN else best
