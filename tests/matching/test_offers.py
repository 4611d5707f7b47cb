"""Needs and offers in a profile: the quick cue search never changes the answer."""

from __future__ import annotations

import pytest

from schakel.graph.local import LocalGraphStore
from schakel.matching.offers import _NEED, _SENTENCE, is_need, split_profile

# One sentence per branch of the need pattern, and offers that look a bit like needs.
NEEDS = [
    "Ik wil graag meer leren over dyslexie.",
    "Wij zoeken iemand die de AVG kent.",
    "Zoeken wij nog partners in Drenthe?",
    "Ik ben op zoek naar advies over verzuim.",
    "Daar worstel ik mee.",
    "Wij worstelen met thuiszitters.",
    "Het is iets waar ik tegenaan loop.",
    "Weet ik te weinig van de wet?",
    "Ik weet nog niets van passend onderwijs.",
    "Heb ik geen ervaring mee.",
    "Wij hebben nog weinig kennis van hoogbegaafdheid.",
    "Er is behoefte aan een gesprek.",
    "Ben erg benieuwd naar uw aanpak.",
    "Ik ben heel nieuwsgierig naar andere scholen.",
    "Kunnen we goed hulp gebruiken bij de overgang?",
    "Vraag ik me af hoe dat werkt.",
    "Wij vragen ons af of dat mag.",
    "Graag meer weten over de jeugdwet.",
    "Missen wij iets?",
    "We missen nog zicht op de wachtlijst.",
    "Advies over de aanvraag kunnen wij goed gebruiken.",
]
OFFERS = [
    "Ik begeleid scholen bij thuiszitters.",
    "Ik werk als intern begeleider in Emmen.",
    "Kan ik u helpen met de aanvraag, dan hoor ik het graag",
    "Mijn team weet veel van de jeugdwet.",
    "",
]


@pytest.mark.parametrize("sentence", NEEDS + OFFERS)
def test_cue_search_agrees_with_the_full_pattern(sentence: str) -> None:
    assert is_need(sentence) == (_NEED.search(sentence) is not None)


def test_each_example_is_what_it_says() -> None:
    assert all(is_need(s) for s in NEEDS)
    assert not any(is_need(s) for s in OFFERS[:2] + OFFERS[3:])


def test_cue_search_agrees_on_every_seeded_profile(seeded_store: LocalGraphStore) -> None:
    sentences = {s.strip() for m in seeded_store.iter_nodes("Member")
                 for s in _SENTENCE.split(m.profile or "") if s.strip()}
    assert len(sentences) > 100
    disagree = [s for s in sentences if is_need(s) != (_NEED.search(s) is not None)]
    assert not disagree
    assert any(is_need(s) for s in sentences) and not all(is_need(s) for s in sentences)


def test_split_profile_keeps_sentences_in_order() -> None:
    offers, needs = split_profile("Ik begeleid scholen. Ik wil meer leren over dyslexie. "
                                  "Ik werk in Emmen.")
    assert offers == "Ik begeleid scholen. Ik werk in Emmen."
    assert needs == "Ik wil meer leren over dyslexie."
