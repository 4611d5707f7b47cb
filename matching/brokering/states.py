"""The life of an introduction: states, the actions that move it, and who may take them.

::

    proposed --approve--> approved --candidate_accept--> candidate_accepted --asker_accept-->
    asker_accepted --introduce--> introduced --outcome--> closed

``drop`` ends it before the introduction is made (staff), ``candidate_decline`` and
``asker_decline`` end it when a side says no. Contact details are shared only once both
sides accepted (double opt-in).
"""

from __future__ import annotations

from dataclasses import dataclass

from schakel.errors import TransitionError

__all__ = ["Step", "STEPS", "STATE_NL", "ACTION_NL", "OUTCOMES", "OPEN", "ASKED",
           "BOTH_ACCEPTED", "TERMINAL", "next_state", "allowed_actions"]


@dataclass(frozen=True)
class Step:
    """One action: the states it may start from, where it leads, and whose it is."""

    action: str
    sources: frozenset[str]
    target: str
    party: str  # "staff", "candidate" or "asker": staff may act for the candidate and asker
    stamp: str  # the Introduction field that records when it happened ("" for none)


STEPS: dict[str, Step] = {s.action: s for s in (
    Step("approve", frozenset({"proposed"}), "approved", "staff", "approved_at"),
    Step("drop", frozenset({"proposed", "approved", "candidate_accepted"}), "dropped", "staff",
         ""),
    Step("candidate_accept", frozenset({"approved"}), "candidate_accepted", "candidate",
         "candidate_at"),
    Step("candidate_decline", frozenset({"approved"}), "candidate_declined", "candidate",
         "candidate_at"),
    Step("asker_accept", frozenset({"candidate_accepted"}), "asker_accepted", "asker",
         "asker_at"),
    Step("asker_decline", frozenset({"candidate_accepted"}), "asker_declined", "asker",
         "asker_at"),
    Step("introduce", frozenset({"asker_accepted"}), "introduced", "staff", "introduced_at"),
    Step("outcome", frozenset({"introduced"}), "closed", "staff", "outcome_at"),
)}

STATE_NL = {
    "proposed": "voorgesteld", "approved": "goedgekeurd, kandidaat gevraagd",
    "dropped": "geschrapt", "candidate_accepted": "kandidaat akkoord, vrager gevraagd",
    "candidate_declined": "kandidaat wil niet", "asker_accepted": "beide akkoord",
    "asker_declined": "vrager wil niet", "introduced": "geïntroduceerd",
    "closed": "afgerond",
}
ACTION_NL = {
    "approve": "goedkeuren", "drop": "schrappen", "candidate_accept": "kandidaat zegt ja",
    "candidate_decline": "kandidaat zegt nee", "asker_accept": "vrager zegt ja",
    "asker_decline": "vrager zegt nee", "introduce": "introductie gedaan",
    "outcome": "uitkomst vastleggen",
}
OUTCOMES = ("nuttig", "niet nuttig", "geen contact")
# Waiting on the candidate or the asker: these count against a person's capacity.
OPEN = frozenset({"approved", "candidate_accepted", "asker_accepted"})
# The candidate was asked (staff approved): counts as "gevraagd".
ASKED = frozenset({"approved", "candidate_accepted", "candidate_declined", "asker_accepted",
                   "asker_declined", "introduced", "closed"})
BOTH_ACCEPTED = frozenset({"asker_accepted", "introduced", "closed"})
TERMINAL = frozenset({"dropped", "candidate_declined", "asker_declined", "closed"})


def allowed_actions(state: str) -> list[str]:
    """The actions that may follow ``state``, in the order of the workflow."""
    return [a for a, s in STEPS.items() if state in s.sources]


def next_state(introduction: str, state: str, action: str) -> Step:
    """The step ``action`` takes from ``state``.

    Raises
    ------
    TransitionError : an unknown action, or one that cannot follow ``state``; the message
        says what can.
    """
    step = STEPS.get(action)
    if step is None:
        raise TransitionError(introduction, state, action,
                              f"onbekende actie {action!r}; kies uit {', '.join(STEPS)}")
    if state not in step.sources:
        now = STATE_NL.get(state, state)
        can = [ACTION_NL[a] for a in allowed_actions(state)]
        then = ("; nu kan: " + ", ".join(can)) if can else "; deze introductie is afgesloten"
        raise TransitionError(
            introduction, state, action,
            f"'{ACTION_NL[action]}' kan niet: de introductie is {now}{then}")
    return step
