"""Fictional demo members, generated deterministically from a seed number.

The structure mimics a real professional network: people work in local organisations,
know a few colleagues and a few people elsewhere in their gemeente, and only a few know
someone in another domain (the bridges the network wants more of).
"""

from __future__ import annotations

import hashlib
import itertools
import random
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from schakel.graph.geo import Gazetteer, Place
from schakel.graph.model import Member, Node, Organisation, Relationship

from .reference import load_yaml

__all__ = ["generate_members", "Generated", "MAX_MEMBERS"]

MAX_MEMBERS = 100_000

# Bigger cities get more members; the network's own regions get extra weight.
_CITY_WEIGHT = {
    "Amsterdam": 9, "Rotterdam": 7, "'s-Gravenhage": 6, "Utrecht": 5, "Eindhoven": 3,
    "Groningen": 3, "Tilburg": 3, "Almere": 3, "Breda": 2.5, "Nijmegen": 2.5, "Apeldoorn": 2,
    "Haarlem": 2, "Arnhem": 2, "Enschede": 2, "Amersfoort": 2, "Zaanstad": 2,
    "'s-Hertogenbosch": 2, "Zwolle": 2, "Leiden": 2, "Leeuwarden": 2, "Maastricht": 2,
    "Emmen": 2, "Deventer": 1.5, "Veenendaal": 1.5, "Alkmaar": 1.5, "Ede": 1.5,
}
_NETWORK_TAGS = {"inspiratieregio", "lerende-praktijk"}


@dataclass
class Generated:
    """Generated members and the local organisations they work at."""

    nodes: list[Node] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)
    # member id -> theme ids the profile says the member wants to learn about (never one they
    # work on); kept beside the graph until members get a side for it
    seeks: dict[str, list[str]] = field(default_factory=dict)

    @property
    def members(self) -> list[Member]:
        return [n for n in self.nodes if isinstance(n, Member)]


@dataclass
class _Person:
    member: Member
    org: str
    gemeente: Place
    domains: list[str]
    themes: list[str]


def _gemeente_weights(gaz: Gazetteer) -> tuple[list[Place], list[float]]:
    gemeenten = gaz.places("gemeente")
    in_network: set[str] = set()
    for place in gaz.places():
        if place.kind != "gemeente" and _NETWORK_TAGS & set(place.tags):
            in_network.update(place.parts)
    weights = []
    for g in gemeenten:
        w = _CITY_WEIGHT.get(g.name, 1.0)
        if g.id in in_network or _NETWORK_TAGS & set(g.tags):
            w *= 2.0
        weights.append(w)
    return gemeenten, weights


def generate_members(
    count: int = 600,
    seed: int = 7,
    *,
    gazetteer: Gazetteer | None = None,
    organisations: list[Organisation] | None = None,
    based_in: dict[str, str] | None = None,
) -> Generated:
    """Generate ``count`` fictional members, deterministic for a given ``seed``.

    Parameters
    ----------
    count : number of members, 0 to 100,000.
    seed : the same seed gives the same members, organisations and edges.
    organisations : the seeded (real) organisations; some members work at national ones.
    based_in : where those organisations are (organisation id -> region id); a member of a
        local one then lives in its gemeente.

    Raises
    ------
    ValueError
        When ``count`` is outside 0..100,000.
    """
    if not 0 <= count <= MAX_MEMBERS:
        raise ValueError(f"count must be between 0 and {MAX_MEMBERS}, not {count}")
    gaz = gazetteer or Gazetteer.load()
    vocab = load_yaml("people.yaml")
    themes_by_id = {t["id"]: t for t in load_yaml("themes.yaml")}
    assignable = sorted(t for t, row in themes_by_id.items() if row.get("assignable", True))
    communities = load_yaml("communities.yaml")
    national = defaultdict(list)
    for known in organisations or []:
        national[known.kind].append(known.id)

    rng = random.Random(seed)
    # Needs and the openings of private functions draw from their own generator, so the
    # members, themes and edges drawn from ``rng`` stay what they were before needs existed.
    side = random.Random(f"{seed}:needs")
    needs = _Needs(vocab["needs"], themes_by_id, assignable)
    gemeenten, weights = _gemeente_weights(gaz)
    functions = vocab["functions"]
    function_weights = [float(f.get("weight", 1.0)) for f in functions]
    out = Generated()
    local_orgs: dict[tuple[str, str], list[str]] = {}
    org_members: dict[str, list[int]] = defaultdict(list)
    people: list[_Person] = []
    used_names: set[str] = set()

    org_names = {o.id: o.name for o in organisations or []}
    cum_places = list(itertools.accumulate(weights))
    cum_functions = list(itertools.accumulate(function_weights))
    people_at: dict[str, list[int]] = defaultdict(list)
    org_place: dict[str, tuple[str, Place]] = {}  # local organisation -> (kind, gemeente)
    functions_by_kind: dict[str, list[tuple[dict[str, Any], float]]] = defaultdict(list)
    for function, weight in zip(functions, function_weights, strict=True):
        for kind in function["org_kinds"]:
            functions_by_kind[kind].append((function, weight))

    def local_org(place: Place, kind: str, domain: str) -> str:
        pool = local_orgs.setdefault((place.id, kind), [])
        # The newest organisation fills up to about 25 people before another one starts.
        if pool and rng.random() > len(org_members[pool[-1]]) / 25:
            return rng.choice(pool)
        patterns = vocab["local_organisations"].get(kind) or [f"{kind.capitalize()} {{place}}"]
        pattern = rng.choice(patterns)
        name = pattern.format(place=place.name)
        if "{place}" not in pattern:
            name = f"{name} ({place.name})"
        org_id = f"org-{place.id[3:]}-{kind}-{len(pool) + 1}"
        pool.append(org_id)
        org_names[org_id] = name
        org_place[org_id] = (kind, place)
        out.nodes.append(Organisation(id=org_id, name=name, kind=kind, relation="lid"))
        out.relationships.append(Relationship.of("BASED_IN", org_id, place.id))
        out.relationships.append(Relationship.of("IN_DOMAIN", org_id, domain))
        return org_id

    for i in range(1, count + 1):
        member_id = f"m-{i:06d}"
        place = rng.choices(gemeenten, cum_weights=cum_places)[0]
        # Half of the people join through a colleague already in the network in their
        # gemeente, so larger organisations grow faster (preferential attachment) and teams
        # form; the others bring a new function and, often, a new organisation.
        local = people_at[place.id]
        peer = people[rng.choice(local)] if local and rng.random() < 0.5 else None
        if peer is not None and peer.org in org_place and len(org_members[peer.org]) < 25:
            org = peer.org
            kind = org_place[org][0]
            options = functions_by_kind[kind]
            function = rng.choices([f for f, _ in options], [w for _, w in options])[0]
        else:
            function = rng.choices(functions, cum_weights=cum_functions)[0]
            kind = rng.choice(function["org_kinds"])
            if national.get(kind) and (kind in ("koepel", "ministerie", "kennisinstituut")
                                       or rng.random() < 0.05):
                org = rng.choice(national[kind])
                home = gaz.find((based_in or {}).get(org, ""))
                if home is not None and home.kind == "gemeente":
                    place = home
            else:
                org = local_org(place, kind, function["domain"])
        domain = function["domain"]
        domains = [domain]
        if rng.random() < 0.12:
            other = rng.choice(["onderwijs", "zorg", "jeugdhulp", "kinderopvang",
                                "gemeente-overheid", "ouders-jongeren", "wetenschap"])
            if other != domain:
                domains.append(other)
        typical = [t for t in function.get("themes", []) if t in themes_by_id]
        n_themes = rng.randint(2, 5)
        chosen = rng.sample(typical, min(len(typical), max(1, n_themes - 1)))
        while len(chosen) < n_themes:
            extra = rng.choice(assignable)
            if extra not in chosen:
                chosen.append(extra)
        roles = ["member"]
        for role, p in (function.get("roles") or {}).items():
            if rng.random() < float(p):
                roles.append(role)
        name = _unique_name(rng, vocab, used_names)
        private = _private_fields(member_id)
        seeks = needs.draw(side, chosen)
        profile = _profile(rng, side, vocab, function["name"], place.name,
                           [themes_by_id[t]["name"] for t in chosen],
                           [themes_by_id[t]["name"] for t in seeks],
                           function_private="function" in private)
        if seeks:
            out.seeks[member_id] = seeks
        member = Member(
            id=member_id,
            name=name,
            function=function["name"],
            roles=roles,
            profile=profile,
            availability=rng.choice(vocab["availability"]),
            visibility=rng.choices(["members", "staff", "none"], [0.86, 0.10, 0.04])[0],
            consent_matching=rng.random() < 0.92,
            consent_contact=rng.random() < 0.65,
            contact=_email(name),
            private_fields=private,
        )
        out.nodes.append(member)
        rels = out.relationships
        rels.append(Relationship.of("WORKS_AT", member_id, org))
        rels.append(Relationship.of("BASED_IN", member_id, place.id))
        rels += [Relationship.of("ACTIVE_IN", member_id, d) for d in domains]
        for j, theme in enumerate(chosen):
            level = 3 if j == 0 and rng.random() < 0.5 else rng.choice((1, 2, 2, 3))
            rels.append(Relationship.of("WORKS_ON", member_id, theme, level=level))
        org_members[org].append(len(people))
        people_at[place.id].append(len(people))
        people.append(_Person(member, org, place, domains, chosen))

    known = _knows(rng, people, org_members, out)
    _communities(rng, people, communities, known, out)
    return out


def _email(name: str) -> str:
    """A fictional address on the reserved example domain (never a real mailbox)."""
    local = ".".join(unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode()
                     for part in name.lower().split())
    return f"{local}@voorbeeld.example"


def _private_fields(member_id: str) -> list[str]:
    # From a hash of the id, not the seeded generator, so the members drawn stay the same.
    n = hashlib.blake2b(member_id.encode(), digest_size=2).digest()[0]
    return [["function"], ["organisation"], ["themes"], ["contact"]][n % 4] if n < 40 else []


def _unique_name(rng: random.Random, vocab: dict[str, Any], used: set[str]) -> str:
    for _ in range(3):
        name = f"{rng.choice(vocab['first_names'])} {rng.choice(vocab['surnames'])}"
        if name not in used:
            break
    used.add(name)  # at 100k some names repeat, as they do in real life
    return name


def _profile(rng: random.Random, side: random.Random, vocab: dict[str, Any], function: str,
             place: str, themes: list[str], needs: list[str], *,
             function_private: bool = False) -> str:
    """Opening, expertise, maybe collaboration and an offer; need sentences in between.

    The organisation is never named and the function only when it is not private: the
    profile text is shown to everyone who sees the member.
    """
    parts = vocab["profile"]
    values = {
        "function": function,
        "place": place,
        "theme": _lower_first(themes[0]),
        "theme2": _lower_first(themes[1] if len(themes) > 1 else themes[0]),
        "domain": "",
        "years": rng.randint(2, 25),
    }
    sentences = [rng.choice(parts["openings"]), rng.choice(parts["expertise"])]
    if function_private:
        sentences[0] = side.choice(parts["openings_plain"])
    if rng.random() < 0.6:
        sentences.append(rng.choice(parts["collaboration"]))
    if rng.random() < 0.8:
        sentences.append(rng.choice(parts["offers"]))
    text = [s.format(**values) for s in sentences]
    phrases = side.sample(vocab["needs"]["phrases"], len(needs))
    for phrase, need in zip(phrases, needs, strict=True):
        text.insert(side.randint(2, len(text)), phrase.format(need=_lower_first(need)))
    return " ".join(text)


class _Needs:
    """Draws the themes a member seeks: none of their own, nor one broader or narrower than
    one of their own; some themes (``sought``) far more often than others."""

    def __init__(self, vocab: dict[str, Any], themes: dict[str, dict[str, Any]],
                 assignable: list[str]) -> None:
        self.share = float(vocab["share"])
        self.broader = {t: set(themes[t].get("broader") or []) for t in assignable}
        self.themes = assignable
        self.weights = [float(vocab["sought"].get(t, 1.0)) for t in assignable]

    def draw(self, rng: random.Random, own: list[str]) -> list[str]:
        if rng.random() >= self.share:
            return []
        mine = set(own)
        for t in own:
            mine |= self.broader.get(t, set())
        options = [(t, w) for t, w in zip(self.themes, self.weights, strict=True)
                   if t not in mine and not self.broader[t] & set(own)]
        picked: list[str] = []
        for _ in range(rng.choice((1, 1, 2))):
            t = rng.choices([t for t, _ in options], [w for _, w in options])[0]
            if t not in picked:
                picked.append(t)
        return picked


def _lower_first(text: str) -> str:
    # Theme names start with a capital; inside a sentence only the first letter drops it
    # (abbreviations such as "LVB" or "AVG" stay as they are).
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _knows(rng: random.Random, people: list[_Person], org_members: dict[str, list[int]],
           out: Generated) -> set[frozenset[str]]:
    """KNOWS edges: colleagues, regional contacts, a few bridges. Returns the pairs made."""
    by_gemeente: dict[str, list[int]] = defaultdict(list)
    by_provincie_domain: dict[tuple[str | None, str], list[int]] = defaultdict(list)
    for idx, p in enumerate(people):
        by_gemeente[p.gemeente.id].append(idx)
        for d in p.domains:
            by_provincie_domain[(p.gemeente.provincie, d)].append(idx)
    seen: set[frozenset[str]] = set()

    def link(a: int, b: int, context: str) -> None:
        pair = frozenset((people[a].member.id, people[b].member.id))
        if a == b or pair in seen:
            return
        seen.add(pair)
        out.relationships.append(Relationship.of(
            "KNOWS", people[a].member.id, people[b].member.id, context=context))

    for idx, p in enumerate(people):
        colleagues = org_members[p.org]
        for _ in range(min(len(colleagues) - 1, rng.randint(2, 4))):
            link(idx, rng.choice(colleagues), "collega")
        # People meet others of their own domain in their gemeente, or else in their
        # provincie (regional meetings): regional clusters.
        local = [j for j in rng.sample(by_gemeente[p.gemeente.id],
                                       min(len(by_gemeente[p.gemeente.id]), 6))
                 if j != idx and people[j].domains[0] == p.domains[0]]
        nearby = by_provincie_domain[(p.gemeente.provincie, p.domains[0])]
        for _ in range(rng.randint(1, 2)):
            j = local.pop() if local else rng.choice(nearby)
            link(idx, j, "regio")
        # A few bridges: someone in another domain nearby.
        if rng.random() < 0.03:
            other = rng.choice([d for d in ("onderwijs", "zorg", "jeugdhulp", "kinderopvang",
                                            "gemeente-overheid") if d != p.domains[0]])
            pool = by_provincie_domain.get((p.gemeente.provincie, other))
            if pool:
                link(idx, rng.choice(pool), "brug")
    return seen


def _communities(rng: random.Random, people: list[_Person], communities: list[dict[str, Any]],
                 known: set[frozenset[str]], out: Generated) -> None:
    by_theme: dict[str, list[str]] = defaultdict(list)
    for c in communities:
        for t in c.get("themes") or []:
            by_theme[t].append(c["id"])
    joined: dict[str, list[str]] = defaultdict(list)
    for p in people:
        if rng.random() > 0.2:
            continue
        options = sorted({c for t in p.themes for c in by_theme.get(t, [])})
        if options:
            community = rng.choice(options)
            out.relationships.append(Relationship.of("MEMBER_OF", p.member.id, community))
            # Someone who joins a community gets to know one of the people already in it.
            if joined[community] and rng.random() < 0.6:
                other = rng.choice(joined[community])
                if frozenset((p.member.id, other)) not in known:
                    known.add(frozenset((p.member.id, other)))
                    out.relationships.append(Relationship.of(
                        "KNOWS", p.member.id, other, context="community"))
            joined[community].append(p.member.id)
