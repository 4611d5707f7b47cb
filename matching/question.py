"""Reading a Dutch question: its themes, the place it is about, domains and the kind of help.

Everything here is rules over the taxonomy and the gazetteer, so it can be explained back to the
user ("gaat over thuiszitters", "in de buurt van Emmen").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from schakel.graph.geo import Gazetteer, Place

from .catalog import Taxonomy
from .text import Analyzer, words

__all__ = ["Question", "QuestionReader", "ROLE_CUES", "ASKED_ROLE_WORDS"]

# Words that ask for a kind of person: bestuurlijke vragen for ambassadors, ouder-questions for
# ervaringsdeskundigen, "verbinden" for verbinders, expertise for experts.
ROLE_CUES: dict[str, tuple[str, ...]] = {
    "ambassador": ("bestuur", "bestuurder", "bestuurders", "bestuurlijk", "bestuurlijke",
                   "wethouder", "beleid", "beleidsmaker", "raad", "gemeenteraad", "agenda",
                   "agenderen", "lobby", "landelijk", "ministerie", "wetgeving", "regelgeving",
                   "financiering", "ambassadeur", "visie", "strategie", "directeur"),
    "ervaringsdeskundige": ("ouder", "ouders", "moeder", "vader", "gezin", "gezinnen",
                            "ervaringsdeskundige", "ervaringsdeskundig", "ervaringsdeskundigen",
                            "jongere", "jongeren", "leerling", "leerlingen", "eigen ervaring"),
    "verbinder": ("verbinden", "verbinder", "verbinding", "samenwerking", "samenwerken",
                  "samen", "netwerk", "brug", "tussen", "schakel"),
    "expert": ("expert", "experts", "expertise", "deskundig", "deskundige", "kennis",
               "specialist", "advies", "adviseren", "methode", "aanpak"),
}

# Words that name a role outright ("welke ambassadeur", "een ervaringsdeskundige ouder"): the
# asker wants that role, a preference as strong as an asked place.
ASKED_ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "ambassador": ("ambassadeur", "ambassadeurs", "ambassadrice"),
    "ervaringsdeskundige": ("ervaringsdeskundige", "ervaringsdeskundigen", "ervaringsdeskundig",
                            "ervaringsexpert", "ervaringsexperts"),
    "expert": ("expert", "experts", "specialist", "specialisten", "deskundige", "deskundigen"),
    "verbinder": ("verbinder", "verbinders", "bruggenbouwer", "bruggenbouwers"),
}

# Everyday words that name a domain (besides the domains' own names and synonyms).
DOMAIN_WORDS: dict[str, tuple[str, ...]] = {
    "onderwijs": ("leerkracht", "leerkrachten", "leraar", "docent", "docenten", "klas", "juf",
                  "meester", "intern begeleider", "ib er", "mentor", "basisschool"),
    "jeugdhulp": ("jeugdhulpverlener", "gezinscoach", "jeugdconsulent", "wijkteam"),
    "zorg": ("jeugdarts", "jeugdverpleegkundige", "huisarts", "kinderarts", "psycholoog",
             "therapeut", "logopedist", "fysiotherapeut"),
    "kinderopvang": ("pedagogisch medewerker", "opvang", "kinderopvang", "kdv"),
    "gemeente-overheid": ("gemeente", "beleidsmedewerker", "wethouder", "ambtenaar"),
}
_FIRST_PERSON = frozenset({"onze", "ons", "wij", "we", "ik", "mijn", "als", "vanuit"})
_PLACE_CUE = re.compile(
    r"\b(?:in|bij|rond|rondom|nabij|omgeving|buurt|regio|uit|te|naar|richting)"
    r"(?=((?:[\s-]+[\w'-]+){1,6}))", re.IGNORECASE)
_FILLER = frozenset({"de", "het", "buurt", "omgeving", "van", "gemeente", "stad", "dorp",
                     "provincie", "hier", "rond", "om", "en", "regio"})
# Place names that are also ordinary words; only taken when written with a capital.
_WORDLIKE = frozenset({"best", "goes", "son", "mill", "epe", "ede", "buren", "land", "stein",
                       "bergen", "beek", "weert", "oss", "aa en hunze"})


@dataclass
class Question:
    """A question as the matcher reads it."""

    text: str
    terms: list[str]
    words: list[str]
    themes: dict[str, float] = field(default_factory=dict)  # theme id -> 0..1
    place: Place | None = None
    place_in_text: bool = False
    wanted_domains: set[str] = field(default_factory=set)
    asker_domain: str | None = None
    role_fit: dict[str, float] = field(default_factory=dict)
    asked_roles: set[str] = field(default_factory=set)  # roles named outright


class QuestionReader:
    """Finds themes, domains, role cues and places in question texts."""

    def __init__(self, taxonomy: Taxonomy, gazetteer: Gazetteer, analyzer: Analyzer) -> None:
        self.taxonomy = taxonomy
        self.gazetteer = gazetteer
        self.analyzer = analyzer
        self._themes = self._phrases(taxonomy.theme_phrases, keep=taxonomy.assignable)
        domain_phrases = {d: list(p) + list(DOMAIN_WORDS.get(d, ()))
                          for d, p in taxonomy.domain_phrases.items()}
        self._domains = self._phrases(domain_phrases)
        self._cues = {role: {analyzer.stem(w) if " " not in w else w for w in cues}
                      for role, cues in ROLE_CUES.items()}
        self._asked = {role: {w.lower() for w in ws} for role, ws in ASKED_ROLE_WORDS.items()}

    def _phrases(self, phrases: dict[str, list[str]],
                 keep: set[str] | None = None) -> dict[tuple[str, ...], set[str]]:
        index: dict[tuple[str, ...], set[str]] = {}
        for node, texts in phrases.items():
            if keep is not None and node not in keep:
                continue
            for text in texts:
                stems = self.analyzer.phrase(text)
                if stems:
                    index.setdefault(stems, set()).add(node)
        return index

    def read(self, text: str, near: Place | None = None,
             asker_domain: str | None = None) -> Question:
        terms = self.analyzer.terms(text)
        ws = words(text)
        q = Question(text=text, terms=terms, words=ws)
        stems = [self.analyzer.stem(w) for w in ws]
        parts = {self.analyzer.stem(p) for w in ws for p in self.analyzer.split(w)}
        for theme in self._match(self._themes, stems, parts):
            q.themes[theme[0]] = 1.0
        for domain, start in self._match(self._domains, stems, parts):
            before = set(ws[max(0, start - 3):start]) if start >= 0 else set()
            if asker_domain is None and before & _FIRST_PERSON:
                q.asker_domain = q.asker_domain or domain
            else:
                q.wanted_domains.add(domain)
        if asker_domain:
            q.asker_domain = asker_domain
        q.wanted_domains.discard(q.asker_domain or "")
        stem_set = set(stems)
        joined = " ".join(ws)
        for role, cues in self._cues.items():
            hits = sum(1 for c in cues if (c in stem_set if " " not in c else c in joined))
            if hits:
                q.role_fit[role] = min(1.0, 0.5 + 0.25 * hits)
        lower = {w.lower() for w in ws}
        q.asked_roles = {role for role, names in self._asked.items() if names & lower}
        q.place = near
        if near is None:
            q.place = self.place_in(text)
            q.place_in_text = q.place is not None
        return q

    def _match(self, index: dict[tuple[str, ...], set[str]], stems: list[str],
               parts: set[str]) -> list[tuple[str, int]]:
        found: list[tuple[str, int]] = []
        for n in (4, 3, 2, 1):
            for i in range(len(stems) - n + 1):
                for node in index.get(tuple(stems[i : i + n]), ()):
                    found.append((node, i))
        for part in parts:
            for node in index.get((part,), ()):
                found.append((node, -1))
        seen: set[str] = set()
        return [(n, i) for n, i in found if not (n in seen or seen.add(n))]  # type: ignore[func-returns-value]

    def place_in(self, text: str) -> Place | None:
        """The place a question names after "in", "bij", "rond", "buurt van" …; the longest
        name the gazetteer knows wins."""
        for match in _PLACE_CUE.finditer(text):
            tokens = [t for t in re.split(r"[\s-]+", match.group(1).strip(" ,.?!;:")) if t]
            start = 0
            while start < len(tokens) and tokens[start].lower() in _FILLER:
                start += 1
            if start and tokens[start - 1].lower() == "regio":
                start -= 1  # "Regio Twente" is a name
            found = self._longest(tokens[start:start + 4])
            if found is not None:
                return found
        return None

    def _longest(self, tokens: list[str]) -> Place | None:
        for n in range(len(tokens), 0, -1):
            name = " ".join(tokens[:n]).strip(" ,.?!;:")
            if not name:
                continue
            found = self.gazetteer.find(name)
            if found is None and name.lower().startswith("regio "):
                found = self.gazetteer.find(name[6:])
            if found is None or found.kind == "land":
                continue
            if not name[:1].isupper() and (name.lower() in _WORDLIKE or len(name) < 4):
                continue
            return found
        return None
