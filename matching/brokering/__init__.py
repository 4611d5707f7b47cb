"""Brokering: from a question to a consented introduction, with staff in the loop.

:mod:`.broker` runs the workflow; :mod:`.questions` takes questions in; :mod:`.rules` says who
may not be proposed; :mod:`.slate` picks one slate; :mod:`.states` is the life of an
introduction; :mod:`.views` the records shown; :mod:`.metrics` how brokering goes.
"""

from .broker import Broker
from .metrics import store_metrics
from .questions import MatchSource
from .rules import RULE_NL
from .slate import PEOPLE, SLATE_QUOTAS
from .states import (
    ACTION_NL,
    OUTCOMES,
    STATE_NL,
    STEPS,
    TERMINAL,
    allowed_actions,
    next_state,
)
from .views import (
    Entry,
    IntroductionView,
    Load,
    Notice,
    QuestionView,
    Ref,
    Slate,
    now_iso,
)

__all__ = ["Broker", "MatchSource", "Slate", "QuestionView", "IntroductionView", "Load",
           "Notice", "Ref", "Entry", "RULE_NL", "SLATE_QUOTAS", "PEOPLE", "now_iso",
           "STEPS", "STATE_NL", "ACTION_NL", "OUTCOMES", "TERMINAL", "allowed_actions",
           "next_state", "store_metrics"]
