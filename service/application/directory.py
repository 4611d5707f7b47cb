"""The network's directory: organisations, regions, themes, practices and communities, and
the choices the pages offer (themes, domains, places). Plain reads with filters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schakel.errors import NodeNotFoundError, UnknownReferenceError
from schakel.graph.geo import Place
from schakel.graph.model import (
    ORG_KINDS,
    Community,
    Domain,
    Node,
    Organisation,
    Practice,
    Region,
    Theme,
)
from schakel.graph.names import fold
from schakel.graph.privacy import visible

from ..context import AppState


def _one(ctx: AppState, node_id: str, kind: type[Node]) -> Any:
    node = ctx.store.get(node_id)
    if not isinstance(node, kind):
        raise NodeNotFoundError(node_id)
    return node


# -- organisations ---------------------------------------------------------------------------
def organisation_ids(ctx: AppState, *, region: str | None = None, domain: str | None = None,
                     kind: str | None = None) -> list[str]:
    """Ids of organisations in a region, in a domain and of a kind, sorted.

    Raises
    ------
    UnknownReferenceError : the region, domain or kind is unknown.
    """
    ids = ctx.filters.ids("Organisation", region=region, domain=domain)
    if kind is not None:
        if kind not in ORG_KINDS:
            raise UnknownReferenceError("kind", kind, "soort organisatie")
        props = ctx.store.props_of(ids)
        ids = [i for i in ids if props[i].get("kind") == kind]
    return ids


def organisation(ctx: AppState, organisation_id: str) -> Organisation:
    return _one(ctx, organisation_id, Organisation)  # type: ignore[no-any-return]


# -- regions ---------------------------------------------------------------------------------
def regions(ctx: AppState, *, kind: str | None = None, q: str | None = None,
            tag: str | None = None) -> list[Region]:
    """Gemeenten, named regions, provincies and the land, by kind, tag and part of a name."""
    found = [r for r in ctx.store.find("Region") if isinstance(r, Region)]
    if kind:
        found = [r for r in found if r.kind == kind]
    if tag:
        found = [r for r in found if tag in r.tags]
    if q:
        needle = fold(q)
        found = [r for r in found if any(needle in fold(n) for n in [r.name, *r.aliases])]
    return found


def region(ctx: AppState, region_id: str) -> Region:
    """One region by id or name."""
    place = ctx.gazetteer.find(region_id)
    found = ctx.store.get(place.id if place else region_id)
    if not isinstance(found, Region):
        raise NodeNotFoundError(region_id)
    return found


@dataclass(frozen=True)
class Distance:
    here: Place
    there: Place
    km: float


def distance(ctx: AppState, a: str, b: str) -> Distance:
    """Distance in km between the centroids of two places (names or ids).

    Raises
    ------
    UnknownReferenceError : either place is unknown (field "from" or "to").
    """
    here, there = ctx.gazetteer.find(a), ctx.gazetteer.find(b)
    if here is None:
        raise UnknownReferenceError("from", a, "plaats")
    if there is None:
        raise UnknownReferenceError("to", b, "plaats")
    return Distance(here, there, round(ctx.gazetteer.distance_km(here, there), 1))


def place_names(ctx: AppState, kind: str | None = None) -> list[str]:
    """Names of places for a form's choices: of ``kind``, or all but the land."""
    if kind:
        return [p.name for p in ctx.gazetteer.places(kind)]
    return [p.name for p in ctx.gazetteer.places() if p.kind != "land"]


# -- themes and domains ----------------------------------------------------------------------
def themes(ctx: AppState, *, q: str | None = None,
           assignable: bool | None = None) -> list[Theme]:
    """The theme taxonomy, by part of a name or synonym."""
    found = [t for t in ctx.store.find("Theme") if isinstance(t, Theme)]
    if assignable is not None:
        found = [t for t in found if t.assignable == assignable]
    if q:
        needle = fold(q)
        found = [t for t in found if any(needle in fold(n) for n in [t.name, *t.synonyms])]
    return found


def theme(ctx: AppState, theme_id: str) -> Theme:
    """One theme by id, name or synonym."""
    found = ctx.lookup.theme(theme_id)
    node = ctx.store.get(found) if found else None
    if not isinstance(node, Theme):
        raise NodeNotFoundError(theme_id)
    return node


def assignable_themes(ctx: AppState) -> list[Theme]:
    """Themes a member or question can be given, by name."""
    return sorted(themes(ctx, assignable=True), key=lambda t: t.name.lower())


def theme_groups(ctx: AppState) -> list[tuple[str, list[Theme]]]:
    """The assignable themes grouped under their broadest theme, for a picker that shows
    82 themes as short lists. A broad theme heads its own group; themes alone go under
    "Overige thema's"."""
    found = {t.id: t for t in themes(ctx)}
    broader = {start: end for start, end, _ in ctx.store.edges(["BROADER"])["BROADER"]}

    def top(theme_id: str) -> str:
        seen = {theme_id}
        while broader.get(theme_id) in found and broader[theme_id] not in seen:
            theme_id = broader[theme_id]
            seen.add(theme_id)
        return theme_id

    groups: dict[str, list[Theme]] = {}
    for t in assignable_themes(ctx):
        groups.setdefault(top(t.id), []).append(t)
    alone = [t for key, members in groups.items() if len(members) == 1 for t in members]
    out = [(found[key].name, members) for key, members in groups.items() if len(members) > 1]
    out.sort(key=lambda g: g[0].lower())
    for _, members in out:  # the broad theme first, then the rest by name
        members.sort(key=lambda t: (t.id not in groups, t.name.lower()))
    if alone:
        out.append(("Overige thema's", sorted(alone, key=lambda t: t.name.lower())))
    return out


def domains(ctx: AppState) -> list[Domain]:
    return [d for d in ctx.store.find("Domain") if isinstance(d, Domain)]


# -- practices and communities ---------------------------------------------------------------
def practice_ids(ctx: AppState, *, theme: str | None = None, region: str | None = None,
                 domain: str | None = None) -> list[str]:
    """Praktijkvoorbeelden by theme (with narrower themes), region and the domain of the
    organisations involved, sorted."""
    return ctx.filters.ids("Practice", theme=theme, region=region, domain=domain)


def practice(ctx: AppState, practice_id: str) -> Practice:
    return _one(ctx, practice_id, Practice)  # type: ignore[no-any-return]


def communities(ctx: AppState) -> list[Community]:
    return [c for c in ctx.store.find("Community") if isinstance(c, Community)]


def community(ctx: AppState, community_id: str) -> Community:
    return _one(ctx, community_id, Community)  # type: ignore[no-any-return]


def community_size(ctx: AppState, c: Community) -> int:
    """Members of the community who are visible to members (hidden ones are not counted)."""
    member_ids = ctx.store.neighbour_ids(c.id, "MEMBER_OF", direction="in")
    return sum(1 for p in ctx.store.props_of(member_ids).values() if visible(p))


# -- the home page ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Overview:
    counts: dict[str, int]
    top_themes: list[tuple[int, Theme]]
    communities: list[Community]
    regions: list[Place]


def overview(ctx: AppState) -> Overview:
    """What the network holds, for the home page: counts, the themes most members work on
    (visible members only), communities and the inspiratieregio's."""
    store = ctx.store

    def theme_counts() -> list[tuple[int, Theme]]:
        shown = ctx.visible_members()
        counts = []
        for node in store.find("Theme"):
            n = sum(1 for m in store.neighbour_ids(node.id, "WORKS_ON", "in") if m in shown)
            if n and isinstance(node, Theme):
                counts.append((n, node))
        return sorted(counts, key=lambda x: (-x[0], x[1].id))

    found = communities(ctx)
    return Overview(
        counts={"leden": len(ctx.visible_members()), "organisaties": store.count("Organisation"),
                "praktijkvoorbeelden": store.count("Practice"), "communities": len(found),
                "gemeenten": len(ctx.gazetteer.places("gemeente"))},
        top_themes=ctx.cached("home_theme_counts", theme_counts)[:12],
        communities=found,
        regions=[p for p in ctx.gazetteer.places() if "inspiratieregio" in p.tags],
    )
