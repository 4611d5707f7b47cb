"""Offers and needs in a profile text.

A profile says what someone knows ("Ik begeleid scholen bij thuiszitters") and often also
what they do not know yet ("Ik wil graag meer leren over dyslexie", "Zelf zoek ik iemand die
meer weet van de AVG"). Only offers count as expertise; needs are kept apart, for two-sided
matching and to explain why a word in the profile did not count.

The cues are first-person phrases of wanting, seeking or lacking; a sentence is a need when one
of them occurs. Kept as rules (not a model) so the reason can quote the sentence.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["split_profile", "is_need", "sentences"]

_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")

# First person, then (within a few words) a verb of wanting/seeking/lacking; or the lack said
# outright. Accents are not folded here: profiles are written by people, so both forms occur.
_NEED = re.compile(
    r"""\b(?:
        (?:ik|wij|we|zelf|mij|me|ons)\b[^.!?]{0,40}?
          \b(?:wil|willen|zou|zouden|hoop|hopen)\b[^.!?]{0,30}?
          \b(?:leren|weten|verdiepen|ontdekken|horen|begrijpen|ontwikkelen|kennis)
      | (?:ik|wij|we)\b[^.!?]{0,25}?\b(?:zoek|zoeken)\b[^.!?]{0,25}?\b(?:iemand|mensen|
            collega|collega's|hulp|advies|tips|kennis|ervaring|contact|experts?|partners?)\b
      | (?:zoek|zoeken)\s+(?:ik|wij|we)\b[^.!?]{0,25}?\b(?:iemand|mensen|collega|hulp|
            advies|tips|kennis|ervaring|contact|experts?|partners?)\b
      | \bop\s+zoek\s+naar\s+(?:iemand|mensen|collega|hulp|advies|tips|kennis|ervaring|
            contact|experts?)\b
      | \b(?:worstel|worstelen)\b[^.!?]{0,20}?\b(?:ik|wij|we)\b
      | \b(?:ik|wij|we)\s+(?:worstel|worstelen)\b
      | \bwaar\s+(?:ik|wij|we)\b[^.!?]{0,20}?\b(?:mee\s+)?(?:worstel|worstelen|tegenaan\s+loop|
            tegenaan\s+lopen|hulp\s+bij|nog\s+niet\s+uit)
      | \b(?:weet|weten)\s+(?:ik|wij|we)\s+(?:nog\s+)?(?:te\s+)?(?:weinig|niet\s+veel|niets)\b
      | \b(?:ik|wij|we)\s+(?:weet|weten)\s+(?:nog\s+)?(?:te\s+)?(?:weinig|niet\s+veel|niets)\b
      | \b(?:heb|hebben)\s+(?:ik|wij|we)\s+(?:nog\s+)?(?:weinig|geen|niet\s+veel)\s+
            (?:ervaring|kennis|verstand)
      | \b(?:ik|wij|we)\s+(?:heb|hebben)\s+(?:nog\s+)?(?:weinig|geen|niet\s+veel)\s+
            (?:ervaring|kennis|verstand)
      | \bbehoefte\s+aan\b
      | \b(?:ben|zijn)\s+(?:ik|wij|we)?\s*(?:erg\s+|heel\s+|wel\s+)?(?:benieuwd|nieuwsgierig)\b
      | \b(?:ik|wij|we)\s+(?:ben|zijn)\s+(?:erg\s+|heel\s+|wel\s+)?(?:benieuwd|nieuwsgierig)\b
      | \b(?:kan|kunnen)\s+(?:ik|wij|we)\s+(?:goed\s+)?(?:hulp|advies|tips)\s+gebruiken
      | \b(?:vraag|vragen)\s+(?:ik|wij|we)\s+(?:me|mij|ons)\s+af\b
      | \b(?:ik|wij|we)\s+(?:vraag|vragen)\s+(?:me|mij|ons)\s+af\b
      | \bgraag\s+(?:meer\s+)?(?:leren|weten)\b
      | \b(?:mis|missen)\s+(?:ik|wij|we)\b
      | \b(?:ik|wij|we)\s+(?:mis|missen)\s+(?:nog\s+)?(?:kennis|ervaring|zicht)\b
      | \b(?:hulp|advies|tips|ondersteuning)\b[^.!?]{0,40}?\b(?:kan|kunnen)\s+(?:ik|wij|we)\s+
            (?:goed\s+)?gebruiken
    )""",
    re.IGNORECASE | re.VERBOSE,
)


# Every branch of _NEED contains one of these words, so a sentence without any of them is
# no need: this much simpler search spares the full one for most sentences (at 100,000
# members the full search on every sentence took 8 s of the first build).
_CUE = re.compile(
    r"\b(?:wil|willen|zou|zouden|hoop|hopen|zoek|zoeken|worstel|worstelen|waar|weet|weten|"
    r"heb|hebben|behoefte|kan|kunnen|vraag|vragen|graag|mis|missen)\b"
    r"|(?:benieuwd|nieuwsgierig)\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=1 << 16)  # profiles share sentences ("Ik werk in het vo."); a few MB
def is_need(sentence: str) -> bool:
    """True when the sentence says what the writer wants to learn, seeks or lacks."""
    return _CUE.search(sentence) is not None and _NEED.search(sentence) is not None


def sentences(text: str) -> list[str]:
    """The sentences of a text, in order, without empty ones."""
    return [s for s in (part.strip() for part in _SENTENCE.split(text or "")) if s]


def split_profile(text: str) -> tuple[str, str]:
    """(offers, needs) of a profile text: its sentences in order, each on one side."""
    offers: list[str] = []
    needs: list[str] = []
    for s in sentences(text):
        (needs if is_need(s) else offers).append(s)
    return " ".join(offers), " ".join(needs)
