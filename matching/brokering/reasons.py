"""Why a candidate is on a slate: stored with the signal each reason comes from, rendered per
viewer when read.

The matcher explains for staff, who see every field. A reason can name a field the candidate
keeps private ("Werkt aan Autisme" names their themes), so a member (the asker) sees only the
reasons whose fields :func:`schakel.graph.privacy.shows` lets them see. Reasons are stored as
``{"signal": ..., "text": ...}`` (JSON in the Introduction's ``reasons``); older plain-text
reasons are still read, and hidden from members unless they are clearly harmless.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from schakel.graph.privacy import Viewer, shows, visible

__all__ = ["REVEALS", "dumps", "loads", "render", "STAFF_NL"]

# The private fields (graph/privacy.py) a reason from each signal may reveal.
REVEALS: dict[str, tuple[str, ...]] = {
    # the candidate's text is their function, profile and theme names
    "dense": ("function", "themes"),
    "lexical": ("function", "themes"),
    "theme": ("themes",),
    "diversity": ("organisation",),  # "al 2 personen van dezelfde organisatie"
    "geo": (),  # never finer than the gemeente, not a choice
    "domain": (),
    "role": (),
    "availability": (),
    "needs": (),  # quotes the public profile's wish to learn, never a private field
    "waiting": (),  # "the meaning of this text does not count yet": nothing about them
    "recurring": (),  # about the question's theme in several regions, not the candidate
    "met": (),  # the asker and the candidate attended an activity together: both know it
    "staff": (),  # rendered without staff's note for members (see render)
}
# A reason of an unknown signal, or an old plain text we cannot place: assume the worst.
UNKNOWN = ("organisation", "function", "themes")
STAFF_NL = "Toegevoegd door het regiebureau"
_MAX = 500  # Introduction.reasons holds strings of at most 500 characters


def dumps(signal: str, text: str) -> str:
    """One reason as stored: JSON with its signal, within the model's 500 characters."""
    cut = len(text)
    while True:
        out = json.dumps({"signal": signal, "text": text[:cut]}, ensure_ascii=False)
        if len(out) <= _MAX:
            return out
        cut -= len(out) - _MAX


def loads(stored: str) -> tuple[str, str]:
    """``(signal, text)`` of a stored reason; an old plain text gets the signal it clearly
    has, else "" (unknown)."""
    if stored.startswith("{"):
        try:
            data = json.loads(stored)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("text"), str):
            return str(data.get("signal", "")), data["text"]
    return _old_signal(stored), stored


def render(stored: Iterable[str], candidate: Mapping[str, Any] | None, viewer: Viewer,
           own: bool = False) -> list[str]:
    """The reasons ``viewer`` may read. ``candidate``: the candidate's properties when it is a
    member (None: a region, practice or community, nothing private); ``own``: the viewer is
    the candidate."""
    out = []
    for signal, text in map(loads, stored):
        if viewer == "staff" or candidate is None:
            out.append(text)
        elif signal == "staff":
            out.append(STAFF_NL)  # staff's notes stay with staff
        elif own or (visible(candidate, viewer) and all(
                shows(candidate, field, viewer) for field in REVEALS.get(signal, UNKNOWN))):
            out.append(text)
    return out


def _old_signal(text: str) -> str:
    """The signal of a reason stored as plain text (before reasons had one), where the text
    leaves no doubt; "" otherwise."""
    if text.startswith("Toegevoegd door "):
        return "staff"
    if text.startswith("Beschikbaar: "):
        return "availability"
    if text.startswith(("Uit het gevraagde domein: ", "Uit een ander domein (")):
        return "domain"
    if text.endswith(": past bij deze vraag"):
        return "role"
    return ""
