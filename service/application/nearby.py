"""Members finding each other: who works on this, near me?"""

from __future__ import annotations

from schakel.matching.nearby import NearbyQuery, NearbyResult

from ..access import Principal
from ..context import AppState


def search_nearby(ctx: AppState, who: Principal, query: NearbyQuery) -> NearbyResult:
    """Members ``who`` may see that fit ``query``, best first, then nearest; the asker is
    left out and "mijn gemeente" is theirs.

    Raises
    ------
    InvalidQueryError, UnknownReferenceError : the query cannot be answered as asked.
    """
    return ctx.nearby().search(query, viewer=who.viewer, asker=who.member_id,
                               relevance=ctx.relevance)
