"""Every error Schakel raises, under one root. Only service/ turns them into HTTP answers."""

from __future__ import annotations

from typing import Any


class SchakelError(Exception):
    """Root of all Schakel errors."""


class StoreError(SchakelError):
    """The graph store could not do what was asked."""


class NodeNotFoundError(StoreError):
    """A node with this id does not exist."""

    def __init__(self, node_id: str) -> None:
        super().__init__(f"onbekend id: {node_id!r}")
        self.node_id = node_id


class GraphValidationError(StoreError):
    """A node or relationship does not fit the graph model; nothing was written.

    ``problems`` lists one dict per problem: ``{"item", "field", "message"}``.
    """

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        self.problems = problems
        first = problems[0] if problems else {}
        more = f" (en nog {len(problems) - 1})" if len(problems) > 1 else ""
        where = f"{first.get('item')}: {first.get('field')}: " if first else ""
        message = first.get("message", "")
        super().__init__(f"ongeldige invoer, niets opgeslagen: {where}{message}{more}")


class UnknownPlaceError(SchakelError):
    """A place name resolves to no gemeente, region or provincie."""

    def __init__(self, name: str) -> None:
        super().__init__(f"onbekende plaats: {name!r}")
        self.name = name


class NotAMemberError(SchakelError):
    """An account without a member (staff, admin) asked for the member's own pages or data."""

    def __init__(self) -> None:
        super().__init__("Dit account hoort niet bij een lid. Uw eigen profiel en vragen zijn "
                         "er voor leden; log in met de sleutel van een lid.")


class BackupError(SchakelError):
    """A backup or restore that cannot be done as asked; nothing was changed."""


class ImportFormatError(SchakelError):
    """An import file is not a document Schakel can read at all."""


class UnknownReferenceError(SchakelError):
    """A filter or field names a theme, domain, region or organisation that does not exist."""

    def __init__(self, field: str, value: str, what: str) -> None:
        super().__init__(f"onbekend {what}: {value!r}")
        self.field = field
        self.value = value
        self.what = what


class InvalidQueryError(SchakelError):
    """A question or search request that cannot be answered as asked (empty, bad limit …)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class MatcherBusyError(SchakelError):
    """The matcher is still building its indexes; ask again shortly."""


class AnalyticsPendingError(SchakelError):
    """The metrics of a network view are being computed for the first time; ask again soon."""


class ScopeError(SchakelError):
    """A network view's scope cannot be built (an ego outside the view, a bad depth or level)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class TransitionError(SchakelError):
    """An introduction cannot go from its state with this action (nothing was written)."""

    def __init__(self, introduction: str, state: str, action: str, message: str) -> None:
        super().__init__(message)
        self.introduction = introduction
        self.state = state
        self.action = action


class CandidateRefusedError(SchakelError):
    """A candidate may not be proposed or asked for this question (capacity, cool-down, own
    organisation, already connected, introduced before on the theme, a conflict)."""

    def __init__(self, candidate: str, rule: str, message: str) -> None:
        super().__init__(message)
        self.candidate = candidate
        self.rule = rule


class OutcomeDataError(SchakelError):
    """An outcome row cannot teach the ranker (an unknown signal, a value that is no number)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class WriteConflictError(StoreError):
    """Another writer changed the same data at the same moment; nothing was written."""


# Auth errors: raised by service/auth.py, here so that every error has one root.
ROLE_NL = {"member": "een lid", "staff": "het regiebureau", "admin": "een beheerder"}


class LoginRequired(SchakelError):
    """No (valid) credential came with the request."""


class Forbidden(SchakelError):
    """The account's role may not do this."""

    def __init__(self, role: str) -> None:
        super().__init__(f"hiervoor is een account van {ROLE_NL.get(role, role)} nodig")
        self.role = role
