"""Dutch text normalisation: folding, stop words, Snowball stems and compound parts.

Dutch glues words together ("jeugdhulpverlener", "leerlingondersteuning"). A token is kept whole
and, when it splits into two known words, its parts are added too, so "jeugdhulpverlener" also
matches a profile that says "jeugdhulp".
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

from schakel.graph.names import fold

__all__ = ["Analyzer", "STOP_WORDS", "words"]

# Snowball's Dutch stop list plus words every question has ("wie", "zoek", "iemand").
STOP_WORDS = frozenset("""
aan al alles als altijd andere ben bij daar dan dat de der deze die dit doch doen door dus een
eens en er ge geen geweest haar had heb hebben heeft hem het hier hij hoe hun iemand iets ik in
is ja je kan kon kunnen maar me meer men met mij mijn moet na naar niet niets nog nu of om omdat
onder ons ook op over reeds te tegen toch toen tot u uit uw van veel voor want waren was wat
we wel werd wezen wie wij wil worden wordt zal ze zelf zich zij zijn zo zonder zou
welke waar wanneer graag liefst zoek zoeken zoekt gezocht weet iemand mensen persoon onze
kunnen kan kun hallo beste vraag vragen help helpen meedenken ervaring ervaringen buurt
""".split())

_TOKEN = re.compile(r"[a-z0-9]+")
_LINKS = ("", "s", "e", "en")  # Dutch linking sounds between compound parts


def words(text: str) -> list[str]:
    """Folded word tokens, stop words kept (for phrase and place matching)."""
    return _TOKEN.findall(fold(text))


_local = threading.local()


def _stemmer() -> snowballstemmer.stemmer:
    """This thread's stemmer: a snowball stemmer keeps the word it works on in itself, so
    two threads sharing one garble each other's words (or raise IndexError)."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("dutch")
    return stemmer


@lru_cache(maxsize=50_000)
def _stem(word: str) -> str:
    # Snowball is slow in pure Python (1.6 of 25 ms per question at 100k members, profiled);
    # the words people use repeat.
    return str(_stemmer().stemWord(word))


class Analyzer:
    """Turns text into stems for BM25 and theme tagging.

    Parameters
    ----------
    vocabulary : words that may be compound parts (theme and domain names, synonyms).
    """

    def __init__(self, vocabulary: Iterable[str] = ()) -> None:
        self._parts = frozenset(w for v in vocabulary for w in words(v) if len(w) >= 4)
        self._cache: dict[str, tuple[str, ...]] = {}
        # The stems of a suggestion's text, to say which words it shares with a question:
        # the same people come up for many questions (0.7 ms of a match at 100k).
        self.term_set = lru_cache(maxsize=4096)(self._term_set)

    def stem(self, word: str) -> str:
        return _stem(word)

    def split(self, word: str) -> tuple[str, ...]:
        """Known parts of a compound, longest head first; () when it is not one."""
        if len(word) < 8 or word in self._parts:
            return ()
        for i in range(len(word) - 4, 3, -1):
            head, rest = word[:i], word[i:]
            if head not in self._parts:
                continue
            for link in _LINKS:
                if rest.startswith(link):
                    tail = rest[len(link):]
                    if len(tail) >= 4 and (tail in self._parts or self._known_start(tail)):
                        return (head, tail)
        return ()

    def _known_start(self, tail: str) -> bool:
        # "jeugdhulpverlener" = "jeugdhulp" + "verlener": the tail need only be a word itself
        # when it is long; short tails must be known parts.
        return len(tail) >= 7

    def _term_set(self, text: str) -> frozenset[str]:
        return frozenset(self.terms(text))

    def terms(self, text: str) -> list[str]:
        """Stems of the content words, then the stems of compound parts."""
        out: list[str] = []
        extra: list[str] = []
        for w in words(text):
            if w in STOP_WORDS or len(w) < 2:
                continue
            cached = self._cache.get(w)
            if cached is None:
                cached = (self.stem(w), *(self.stem(p) for p in self.split(w)))
                if len(self._cache) < 200_000:
                    self._cache[w] = cached
            out.append(cached[0])
            extra.extend(cached[1:])
        return out + extra

    def phrase(self, text: str) -> tuple[str, ...]:
        """Stems of a short phrase (a theme name or synonym), stop words dropped."""
        return tuple(self.stem(w) for w in words(text) if w not in STOP_WORDS)
