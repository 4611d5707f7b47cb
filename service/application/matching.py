"""Ask the matcher: ranked, explained suggestions for a question."""

from __future__ import annotations

from collections.abc import Sequence

from schakel.errors import UnknownReferenceError
from schakel.graph.privacy import Viewer
from schakel.matching.engine import MatchQuery, MatchResult

from ..context import AppState


def run_match(ctx: AppState, text: str, *, near: str | None = None,
              radius_km: float | None = None, kinds: Sequence[str] | None = None,
              limit: int = 10, asker_domain: str | None = None,
              viewer: Viewer = "member") -> MatchResult:
    """Suggestions for ``text`` as ``viewer`` may see them; the asker's domain (id or name)
    is resolved here, places by the matcher.

    Raises
    ------
    UnknownReferenceError : ``asker_domain`` names no domain (or the place no place).
    InvalidQueryError : the question cannot be answered as asked.
    """
    domain = None
    if asker_domain:
        domain = ctx.lookup.domain(asker_domain)
        if domain is None:
            raise UnknownReferenceError("asker_domain", asker_domain, "domein")
    query = MatchQuery(text=text, near=near, radius_km=radius_km,
                       kinds=list(kinds) if kinds else None, limit=limit,
                       asker_domain=domain, viewer=viewer)
    return ctx.match(query)
