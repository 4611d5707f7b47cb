"""Name folding shared by every lookup by name (places, themes, organisations)."""

from __future__ import annotations

import re
import unicodedata

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
