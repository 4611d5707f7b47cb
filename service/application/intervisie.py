"""Intervisie groups for a theme: the solver proposes (matching/intervisie.py), staff adjust
and confirm; a confirmed group becomes a community of kind intervisiegroep."""

from __future__ import annotations

from datetime import UTC, datetime

from schakel.errors import InvalidQueryError
from schakel.graph.model import Community, Relationship
from schakel.matching import intervisie

from ..access import Principal
from ..context import AppState

__all__ = ["proposal", "confirm"]


def _theme(ctx: AppState, theme: str) -> str:
    found = ctx.lookup.theme(theme)
    if found is None:
        raise InvalidQueryError("thema", f"Het thema {theme} kennen we niet.")
    return found


def proposal(ctx: AppState, who: Principal, theme: str, seconds: float = 10.0
             ) -> tuple[intervisie.Proposal, dict[str, intervisie.Candidate]]:
    """Proposed groups for ``theme`` (staff), and the candidates by id."""
    people = intervisie.candidates(ctx.store, _theme(ctx, theme))
    found = intervisie.propose(people, seconds=seconds)
    ctx.access.audit(who.user, "intervisiegroepen voorgesteld", "*", f"{len(people)} leden")
    return found, {c.id: c for c in people}


def confirm(ctx: AppState, who: Principal, theme: str, members: list[str], name: str) -> str:
    """Staff confirm one (adjusted) group: it is checked against every hard rule again.

    Raises
    ------
    InvalidQueryError : the group breaks a rule (the message says which).
    """
    theme_id = _theme(ctx, theme)
    by_id = {c.id: c for c in intervisie.candidates(ctx.store, theme_id)}
    group = [by_id[m] for m in dict.fromkeys(members) if m in by_id]
    if len(group) != len(set(members)):
        raise InvalidQueryError("leden", "Niet iedereen in deze groep kan meedoen.")
    problems = intervisie.violations(group)
    if problems:
        raise InvalidQueryError("leden", " ".join(problems))
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    node = Community(id=f"com-intervisie-{stamp}", name=name.strip() or "Intervisiegroep",
                     kind="intervisiegroep")
    ctx.store.write([node], [Relationship.of("ABOUT", node.id, theme_id)]
                    + [Relationship.of("MEMBER_OF", c.id, node.id) for c in group])
    ctx.access.audit(who.user, "intervisiegroep gemaakt", node.id, ", ".join(members))
    return node.id
