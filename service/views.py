"""Turn stored nodes into the public shapes the API and the pages show."""

from __future__ import annotations

from schakel.graph.model import Community, Member, Organisation, Practice, Region, Theme
from schakel.graph.privacy import Viewer, shows
from schakel.graph.store import GraphStore

from .schemas import (
    CommunityPublic,
    MemberPublic,
    OrganisationPublic,
    PracticePublic,
    Ref,
    RegionPublic,
    ThemeLevel,
    ThemePublic,
)


def display_name(node: object) -> str:
    return str(getattr(node, "name", None) or getattr(node, "title", None) or node.id)


def refs(store: GraphStore, node_id: str, rel_type: str, direction: str = "out") -> list[Ref]:
    return [Ref(id=n.id, name=display_name(n))
            for n in store.neighbours(node_id, rel_type, direction)]  # type: ignore[arg-type]


def _one(store: GraphStore, node_id: str, rel_type: str) -> Ref | None:
    found = refs(store, node_id, rel_type)
    return found[0] if found else None


def member_public(store: GraphStore, m: Member, viewer: Viewer = "member") -> MemberPublic:
    """A member as ``viewer`` may see them: private fields left out (graph/privacy.py)."""
    themes: list[ThemeLevel] = []
    offers: list[ThemeLevel] = []
    seeks: list[Ref] = []
    if shows(m, "themes", viewer):
        themes = _levels(store, m.id, "WORKS_ON")
        offers = _levels(store, m.id, "OFFERS")
        seeks = sorted(refs(store, m.id, "SEEKS"), key=lambda r: r.name)
    return MemberPublic(
        id=m.id, name=m.name, function=m.function if shows(m, "function", viewer) else None,
        roles=m.roles, profile=m.profile, availability=m.availability,
        organisation=(_one(store, m.id, "WORKS_AT") if shows(m, "organisation", viewer)
                      else None),
        gemeente=_one(store, m.id, "BASED_IN"), domains=refs(store, m.id, "ACTIVE_IN"),
        themes=themes, contact=(m.contact or None) if shows(m, "contact", viewer) else None,
        seeks=seeks, offers=offers, role_level=m.role_level, perspective=m.perspective,
    )


def _levels(store: GraphStore, member_id: str, rel_type: str) -> list[ThemeLevel]:
    rels = store.relationships(member_id, rel_type)
    names = {n.id: display_name(n) for n in store.get_many([r.end for r in rels])}
    out = [ThemeLevel(id=r.end, name=names.get(r.end, r.end), level=r.props.get("level", 2))
           for r in rels]
    return sorted(out, key=lambda t: (-t.level, t.name))


def organisation_public(store: GraphStore, o: Organisation) -> OrganisationPublic:
    return OrganisationPublic(
        id=o.id, name=o.name, abbreviation=o.abbreviation, kind=o.kind, relation=o.relation,
        gemeente=_one(store, o.id, "BASED_IN"), domains=refs(store, o.id, "IN_DOMAIN"),
    )


def region_public(store: GraphStore, r: Region, detail: bool = False) -> RegionPublic:
    public = RegionPublic(**r.props(), id=r.id)
    if detail:
        public.part_of = refs(store, r.id, "PART_OF")
        public.gemeenten = refs(store, r.id, "PART_OF", "in")
    return public


def theme_public(store: GraphStore, t: Theme, detail: bool = False) -> ThemePublic:
    public = ThemePublic(**t.props(), id=t.id)
    if detail:
        public.broader = refs(store, t.id, "BROADER")
        public.narrower = refs(store, t.id, "BROADER", "in")
    return public


def practice_public(store: GraphStore, p: Practice) -> PracticePublic:
    return PracticePublic(
        id=p.id, title=p.title, summary=p.summary, themes=refs(store, p.id, "ABOUT"),
        regions=refs(store, p.id, "IN_REGION"), organisations=refs(store, p.id, "INVOLVES"),
    )


def community_public(store: GraphStore, c: Community, visible_members: int) -> CommunityPublic:
    return CommunityPublic(
        id=c.id, name=c.name, kind=c.kind, description=c.description,
        themes=refs(store, c.id, "ABOUT"), members=visible_members,
    )


def meaning_text(done: int, total: int) -> str:
    """How far the background encoder is, in Dutch: "betekenis: 41.200 van 100.000 teksten"."""
    def dotted(n: int) -> str:
        return f"{n:,}".replace(",", ".")

    return f"betekenis: {dotted(done)} van {dotted(total)} teksten"
