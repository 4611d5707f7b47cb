"""Signaleren en agenderen as use cases: members submit and recognise signals and follow
them on "mijn signalen"; staff take signals in, move them through the seven steps on a
board, put out calls and keep each table's agenda. The rules are matching/signals/."""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from schakel.errors import ImportFormatError, InvalidQueryError, NodeNotFoundError
from schakel.graph.exchange import ImportReport, import_document
from schakel.graph.model import Call, Relationship, Signal, Table
from schakel.matching.brokering import IntroductionView
from schakel.matching.engine import MatchResult
from schakel.matching.signals import STEP_NL, SignalDesk, SignalView
from schakel.matching.signals.clusters import Cluster, Item, clusters, describe

from ..access import Principal
from ..context import AppState
from .brokering import make_broker
from .matching import run_match
from .members import own_member

__all__ = ["make_desk", "submit_as_member", "submit_as_staff", "my_signals", "board",
           "signal_for", "act", "recognise", "unrecognise", "tables", "table_agenda",
           "put_out_call", "calls", "import_csv", "read_signal_csv", "recognisable",
           "CSV_COLUMNS", "signal_clusters", "cluster_for", "merge_clusters", "split_cluster",
           "release_cluster", "suggestions", "invite", "invitations", "deepen_text"]

# Steps at which members see signals of others (to recognise them): from toetsen on.
SHOWN_FROM = 3


def make_desk(ctx: AppState) -> SignalDesk:
    def place_of(name: str) -> str | None:
        place = ctx.gazetteer.find(name)
        return place.id if place is not None else None

    return SignalDesk(ctx.store, ctx, place_of=place_of, clock=_now)


def _now() -> datetime:
    return datetime.now(UTC)


def submit_as_member(ctx: AppState, who: Principal, text: str, *, place: str | None = None,
                     urgency: str = "", anonymous: bool = False,
                     call: str | None = None) -> SignalView:
    """A member's own signal, as they see it. Anonymous: not linked to them at all (so it
    does not show on their page either), and no place or domain taken from their profile.

    Raises
    ------
    InvalidQueryError, UnknownReferenceError : the text, place or call cannot be used.
    """
    member = own_member(ctx, who)
    desk = make_desk(ctx)
    sid = desk.submit(text, "anoniem" if anonymous else who.user,
                      raised_by=None if anonymous else member.id, channel="online",
                      urgency=urgency, place=place, call=call)
    return desk.view(sid, "member", member.id)


def submit_as_staff(ctx: AppState, who: Principal, text: str, *, raised_by: str | None = None,
                    channel: str = "gesprek", urgency: str = "",
                    themes: list[str] | None = None, domains: list[str] | None = None,
                    place: str | None = None, call: str | None = None) -> str:
    """A signal staff heard in a conversation or intake (``raised_by`` None: anonymous)."""
    return make_desk(ctx).submit(text, who.user, raised_by=raised_by, channel=channel,
                                 urgency=urgency, themes=themes, domains=domains, place=place,
                                 call=call)


def my_signals(ctx: AppState, who: Principal) -> list[SignalView]:
    """What the member raised or recognised, with the step it is at and, at step 07, what
    happened."""
    member = own_member(ctx, who)
    desk = make_desk(ctx)
    return desk.views(desk.of_member(member.id), "member", member.id)


def recognisable(ctx: AppState, who: Principal) -> list[SignalView]:
    """Signals a member may recognise: from toetsen on, newest first."""
    desk = make_desk(ctx)
    shown = [s for s in desk.signals() if s.step >= SHOWN_FROM]
    return desk.views(list(reversed(shown)), who.viewer, who.member_id)


def signal_for(ctx: AppState, who: Principal, signal_id: str) -> SignalView:
    """One signal as ``who`` may see it: staff all of it; a member their own, or one from
    toetsen on (others look absent)."""
    desk = make_desk(ctx)
    view = desk.view(signal_id, who.viewer, who.member_id)
    if who.can("staff"):
        return view
    own = bool(who.member_id) and who.member_id in ctx.store.neighbour_ids(signal_id,
                                                                             "RAISED_BY")
    if not own and not view.recognition.mine and view.step < SHOWN_FROM:
        raise NodeNotFoundError(signal_id)
    return view


def board(ctx: AppState) -> dict[int, list[SignalView]]:
    """Staff's board: every signal by step."""
    desk = make_desk(ctx)
    views = desk.views(desk.signals(), "staff")
    return {step: [v for v in views if v.step == step] for step in STEP_NL}


def act(ctx: AppState, who: Principal, signal_id: str, action: str, **fields: Any
        ) -> SignalView:
    """One step by staff. Raises TransitionError (409) when the step cannot follow."""
    return make_desk(ctx).act(signal_id, action, who.user, **fields)


def recognise(ctx: AppState, who: Principal, signal_id: str, note: str = "") -> SignalView:
    signal_for(ctx, who, signal_id)  # a signal they may not see looks absent
    member = own_member(ctx, who)
    make_desk(ctx).recognise(signal_id, member.id, note)
    return signal_for(ctx, who, signal_id)


def unrecognise(ctx: AppState, who: Principal, signal_id: str) -> SignalView:
    member = own_member(ctx, who)
    make_desk(ctx).unrecognise(signal_id, member.id)
    return signal_for(ctx, who, signal_id)


def tables(ctx: AppState) -> list[Table]:
    return sorted((t for t in ctx.store.find("Table") if isinstance(t, Table)),
                  key=lambda t: t.name.lower())


@dataclass
class AgendaRow:
    signal: Signal
    date: str
    instrument: str
    option: str
    result: str


def table_agenda(ctx: AppState, table_id: str) -> tuple[Table, list[AgendaRow]]:
    table = ctx.store.get(table_id)
    if not isinstance(table, Table):
        raise NodeNotFoundError(table_id)
    rows = [AgendaRow(s, p.get("date", ""), p.get("instrument", ""), p.get("option", ""),
                      p.get("result", "")) for s, p in make_desk(ctx).agenda(table_id)]
    return table, rows


def put_out_call(ctx: AppState, who: Principal, title: str, **fields: Any) -> Call:
    return make_desk(ctx).call(title, who.user, **fields)


def calls(ctx: AppState) -> list[Call]:
    return make_desk(ctx).calls()


def open_calls(ctx: AppState) -> list[Call]:
    """Calls members may answer now: opened (or no date) and not yet closed."""
    today = _now().date().isoformat()
    return [c for c in calls(ctx) if (not c.opens or c.opens <= today)
            and (not c.closes or c.closes >= today)]


# -- CSV import ------------------------------------------------------------------------------

# Dutch column names a spreadsheet may use, and the exchange field each stands for.
CSV_COLUMNS = {"id": "id", "tekst": "text", "text": "text", "ingebracht_door": "raised_by",
               "raised_by": "raised_by", "kanaal": "channel", "channel": "channel",
               "urgentie": "urgency", "urgency": "urgency", "themas": "themes",
               "thema's": "themes", "themes": "themes", "domeinen": "domains",
               "domains": "domains", "plaats": "place", "place": "place", "datum": "created",
               "created": "created", "uitvraag": "call", "call": "call", "stap": "step",
               "step": "step"}


def read_signal_csv(text: str) -> list[dict[str, Any]]:
    """Rows of a signals spreadsheet as exchange rows. A row without an id gets one from
    its text, date and raiser, so importing the same file twice changes nothing."""
    header = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    names = [(f or "").strip().lower() for f in reader.fieldnames or []]
    if not any(CSV_COLUMNS.get(n) == "text" for n in names):
        raise ImportFormatError("het CSV-bestand mist een kopregel met de kolom 'tekst'")
    rows = []
    try:
        for raw in reader:
            row: dict[str, Any] = {}
            for key, value in raw.items():
                field = CSV_COLUMNS.get((key or "").strip().lower())
                if field is None or not isinstance(value, str) or not value.strip():
                    continue
                value = value.strip()
                row[field] = ([v.strip() for v in value.split(";") if v.strip()]
                              if field in ("themes", "domains") else value)
            row.setdefault("channel", "import")
            if "id" not in row:
                seed = "|".join(str(row.get(k, "")) for k in ("text", "created", "raised_by"))
                row["id"] = "sig-" + hashlib.sha256(seed.encode()).hexdigest()[:12]
            rows.append(row)
    except csv.Error as e:
        raise ImportFormatError(f"het CSV-bestand is niet te lezen (regel {reader.line_num}): "
                                f"{e}") from e
    return rows


def import_csv(ctx: AppState, path: Path, who: str) -> ImportReport:
    """Signals from a spreadsheet: every good row written whole, every bad row reported in
    Dutch with its row number and field."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ImportFormatError(f"kan {path} niet lezen: {e}") from e
    rows = read_signal_csv(text)
    from schakel.matching.brokering.views import Entry, now_iso

    stamp = now_iso(_now())
    for row in rows:
        if ctx.store.get(row["id"]) is None:  # new: stamped, with its first history entry
            row.setdefault("created", stamp)
            row["history"] = [Entry(stamp, who, "signaal geïmporteerd",
                                    detail=f"uit {path.name}").dumps()]
    return import_document(ctx.store, {"signals": rows}, lookup=ctx.lookup)


# -- clusters ----------------------------------------------------------------------------------

def _items(ctx: AppState, signals: list[Signal]) -> list[Item]:
    store = ctx.store
    ids = {s.id for s in signals}
    edges = store.edges(["ABOUT", "IN_REGION", "IN_DOMAIN"])
    themes: dict[str, set[str]] = {}
    places: dict[str, str] = {}
    domains: dict[str, set[str]] = {}
    for start, end, _ in edges["ABOUT"]:
        if start in ids:
            themes.setdefault(start, set()).add(end)
    for start, end, _ in edges["IN_REGION"]:
        if start in ids:
            places[start] = end
    for start, end, _ in edges["IN_DOMAIN"]:
        if start in ids:
            domains.setdefault(start, set()).add(end)
    regions = store.props_of(set(places.values()))
    provs = store.props_of({p.get("provincie") for p in regions.values()} - {None})
    domain_names = {d: str(p.get("name", d)) for d, p in store.props_of(
        {d for ds in domains.values() for d in ds}).items()}

    def provincie(place: str | None) -> str:
        props = regions.get(place or "", {})
        if props.get("kind") == "provincie":
            return str(props.get("name", ""))
        return str(provs.get(props.get("provincie") or "", {}).get("name", ""))

    return [Item(s.id, s.text, frozenset(themes.get(s.id, ())), _day(s.created),
                 s.cluster, provincie(places.get(s.id)),
                 frozenset(domain_names.get(d, d) for d in domains.get(s.id, ())))
            for s in signals]


def _day(stamp: str) -> date:
    try:
        return date.fromisoformat(stamp[:10])
    except ValueError:
        return _now().date()


def _theme_names(ctx: AppState) -> dict[str, str]:
    return {t: str(p.get("name", t)) for t, p in ctx.store.props_of(
        ctx.store.ids("Theme")).items()}


def signal_clusters(ctx: AppState) -> tuple[list[Cluster], list[str]]:
    """The groups of similar signals (largest first) and the signals in none; computed
    again when signals or their themes, places or domains change."""
    def compute() -> tuple[list[Cluster], list[str]]:
        signals = make_desk(ctx).signals()
        if not signals:
            return [], []
        vectors = ctx.matcher().encoder.encode([s.text for s in signals])
        return clusters(_items(ctx, signals), vectors, today=_now().date(),
                        theme_names=_theme_names(ctx))

    return ctx.cached("signal_clusters", compute,
                      on=("Signal", "ABOUT", "IN_REGION", "IN_DOMAIN"))


def cluster_for(ctx: AppState, key: str) -> Cluster:
    """A cluster by its id, or the one a signal is in (a signal in none: a group of one)."""
    found, _loose = signal_clusters(ctx)
    for c in found:
        if c.id == key or key in c.signals:
            return c
    signal = ctx.store.get(key)
    if not isinstance(signal, Signal):
        raise NodeNotFoundError(key)
    item = _items(ctx, [signal])[0]
    return describe(f"los-{signal.id}", [item], [], _theme_names(ctx), _now().date())


def merge_clusters(ctx: AppState, who: Principal, keys: list[str]) -> str:
    """Staff put these clusters together by hand; returns the merged cluster's id."""
    groups = [cluster_for(ctx, k) for k in dict.fromkeys(keys)]
    if len(groups) < 2:
        raise InvalidQueryError("clusters", "kies minstens twee clusters om samen te voegen")
    target = next((g.id for g in groups if g.by_hand), f"hand-{secrets.token_hex(4)}")
    assign = {s: target for g in groups for s in g.signals}
    make_desk(ctx).pin(assign, who.user, "clusters samengevoegd")
    return target


def split_cluster(ctx: AppState, who: Principal, key: str, signal_ids: list[str]
                  ) -> tuple[str, str]:
    """Staff take these signals out of the cluster into a cluster of their own; both
    halves keep their shape when clusters are computed again. Returns both ids."""
    group = cluster_for(ctx, key)
    chosen = set(signal_ids)
    if not chosen or not chosen < set(group.signals):
        raise InvalidQueryError("signals", "kies een deel van de signalen van dit cluster")
    rest = group.id if group.by_hand else f"hand-{secrets.token_hex(4)}"
    apart = f"hand-{secrets.token_hex(4)}"
    assign = {s: (apart if s in chosen else rest) for s in group.signals}
    make_desk(ctx).pin(assign, who.user, "cluster gesplitst")
    return rest, apart


def release_cluster(ctx: AppState, who: Principal, key: str) -> None:
    """Undo the hand decision: the algorithm groups these signals again."""
    group = cluster_for(ctx, key)
    make_desk(ctx).pin(dict.fromkeys(group.signals, ""), who.user, "handmatige keuze losgelaten")


# -- verdiepen ---------------------------------------------------------------------------------

ASKER = "org-mao"  # the regiebureau asks the network on the signal's behalf
DEEPEN_KINDS = ("member", "practice", "community")


def deepen_text(ctx: AppState, key: str) -> str:
    """A signal's text, or a cluster's label and first signals: the question to match."""
    signal = ctx.store.get(key)
    if isinstance(signal, Signal):
        return signal.text
    group = cluster_for(ctx, key)
    texts = [s.text for s in ctx.store.get_many(group.signals[:5]) if isinstance(s, Signal)]
    return " ".join([group.label + ".", *texts])[:5000]


def suggestions(ctx: AppState, key: str, limit: int = 8) -> MatchResult:
    """Experts, ervaringsdeskundigen, practices and communities for a signal or a cluster,
    with the matcher's Dutch reasons (the signal is the question)."""
    return run_match(ctx, deepen_text(ctx, key), kinds=DEEPEN_KINDS, limit=limit,
                     viewer="staff")


def invite(ctx: AppState, who: Principal, signal_id: str, candidate: str, note: str = ""
           ) -> IntroductionView:
    """Invite someone to deepen the signal through the same double opt-in as
    introductions: a question of the regiebureau (DEEPENS the signal) with them proposed;
    staff approve it on the brokering pages, the candidate says yes or no."""
    signal = make_desk(ctx).view(signal_id)
    broker = make_broker(ctx)
    existing = ctx.store.neighbour_ids(signal_id, "DEEPENS", "in")
    if existing:
        question = existing[0]
    else:
        question = broker.ask(f"Verdiepen van een signaal: {signal.text}"[:5000], ASKER,
                              who.user, kind="ontwikkelvraag",
                              themes=[t.id for t in signal.themes]).id
        ctx.store.write(relationships=[Relationship.of("DEEPENS", question, signal_id)])
    return broker.add_candidate(question, candidate, who.user, note)


def invitations(ctx: AppState, signal_id: str) -> list[IntroductionView]:
    broker = make_broker(ctx)
    out = []
    for q in ctx.store.neighbour_ids(signal_id, "DEEPENS", "in"):
        out += broker.question(q).introductions
    return out
