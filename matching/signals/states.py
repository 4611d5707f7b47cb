"""The seven steps of "Signaleren en agenderen" and the actions that move a signal.

::

    01 uitzetten --oogsten--> 02 oogsten --toetsen--> 03 toetsen --verdiepen--> 04 verdiepen
    --delen--> 05 delen --agenderen--> 06 agenderen --terugkoppelen--> 07 terugkoppelen

Toetsen may go straight to agenderen (the network's own shortcut), and so may verdiepen.
Each action names the fields it needs; a refused action writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from schakel.errors import TransitionError

__all__ = ["Action", "ACTIONS", "STEP_NL", "STEP_HELP", "ACTION_NL", "allowed_actions",
           "next_step", "step_name"]


@dataclass(frozen=True)
class Action:
    """One action: the steps it may start from, the step it leads to, the fields it needs."""

    name: str
    sources: frozenset[int]
    target: int
    needs: tuple[str, ...] = ()


ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("oogsten", frozenset({1}), 2),
    Action("toetsen", frozenset({2}), 3),
    Action("verdiepen", frozenset({3}), 4),
    Action("delen", frozenset({4}), 5, ("shared",)),
    Action("agenderen", frozenset({3, 4, 5}), 6, ("table", "date")),
    Action("terugkoppelen", frozenset({6}), 7, ("feedback",)),
)}

STEP_NL = {1: "uitzetten", 2: "oogsten", 3: "toetsen", 4: "verdiepen", 5: "delen",
           6: "agenderen", 7: "terugkoppelen"}
STEP_HELP = {
    1: "binnengekomen op een uitvraag of uit een gesprek",
    2: "verzameld en beoordeeld op relevantie",
    3: "we toetsen of anderen het herkennen en of het urgent is",
    4: "we zoeken met experts uit het netwerk naar oorzaken",
    5: "we delen het met het netwerk",
    6: "op de agenda gezet bij een tafel",
    7: "teruggekoppeld: wat er met het signaal gebeurde",
}
ACTION_NL = {"oogsten": "oogsten (relevant)", "toetsen": "toetsen (herkenning vragen)",
             "verdiepen": "verdiepen met experts", "delen": "delen met het netwerk",
             "agenderen": "agenderen bij een tafel", "terugkoppelen": "terugkoppelen"}
NEEDS_NL = {"shared": "hoe het gedeeld wordt", "table": "de tafel", "date": "de datum",
            "feedback": "wat er gebeurde (de terugkoppeling)"}


def step_name(step: int) -> str:
    """ "03 toetsen"."""
    return f"{step:02d} {STEP_NL.get(step, '?')}"


def allowed_actions(step: int) -> list[str]:
    """The actions that may follow ``step``, in the order of the process."""
    return [a for a, act in ACTIONS.items() if step in act.sources]


def next_step(signal: str, step: int, action: str) -> Action:
    """The action ``action`` from ``step``.

    Raises
    ------
    TransitionError : an unknown action, or one that cannot follow ``step``; the message
        says what can.
    """
    act = ACTIONS.get(action)
    if act is None:
        raise TransitionError(signal, str(step), action,
                              f"onbekende stap {action!r}; kies uit {', '.join(ACTIONS)}")
    if step not in act.sources:
        can = [ACTION_NL[a] for a in allowed_actions(step)]
        then = ("; nu kan: " + ", ".join(can)) if can else "; dit signaal is afgerond"
        raise TransitionError(
            signal, str(step), action,
            f"'{ACTION_NL[action]}' kan niet: het signaal staat bij stap {step_name(step)}{then}")
    return act
