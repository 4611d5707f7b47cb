"""Members finding each other: who works on this, near me?"""

from __future__ import annotations

from dataclasses import replace

from schakel.matching.nearby import MAX_RADIUS_KM, NearbyQuery, NearbyResult

from ..access import Principal
from ..context import AppState

NEAREST = 5  # members shown beyond the radius when nobody within it fits


def search_nearby(ctx: AppState, who: Principal, query: NearbyQuery) -> NearbyResult:
    """Members ``who`` may see that fit ``query``, best first, then nearest; the asker is
    left out and "mijn gemeente" is theirs.

    Raises
    ------
    InvalidQueryError, UnknownReferenceError : the query cannot be answered as asked.

    When nobody within ``radius_km`` fits, ``nearest`` holds the ``NEAREST`` members beyond
    it who do, nearest first: "nobody within 10 km" should not be the end of the search.
    """
    search = ctx.nearby().search
    result = search(query, viewer=who.viewer, asker=who.member_id, relevance=ctx.relevance)
    if result.count or query.radius_km is None or query.radius_km >= MAX_RADIUS_KM:
        return result
    wider = search(replace(query, radius_km=MAX_RADIUS_KM, offset=0, limit=NEAREST * 10),
                   viewer=who.viewer, asker=who.member_id, relevance=ctx.relevance)
    beyond = sorted(wider.hits, key=lambda h: (h.distance_km is None, h.distance_km or 0))
    return replace(result, nearest=beyond[:NEAREST])

