"""Signaleren en agenderen: knelpunten from practice to the right table and back.

:mod:`.states` is the seven steps (table-driven); :mod:`.desk` takes calls and signals in and
moves them (compare-and-set through ``store.update``); :mod:`.views` the records shown, with
recognition counts that never name hidden members; :mod:`.clusters` groups similar signals;
:mod:`.brief` writes the agenda brief.
"""

from .desk import SignalDesk
from .states import ACTION_NL, ACTIONS, STEP_HELP, STEP_NL, allowed_actions, next_step, step_name
from .views import AgendaItem, Recognition, SignalView

__all__ = ["SignalDesk", "SignalView", "Recognition", "AgendaItem", "ACTIONS", "ACTION_NL",
           "STEP_NL", "STEP_HELP", "allowed_actions", "next_step", "step_name"]
