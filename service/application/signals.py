"""Signaleren en agenderen as use cases: members submit and recognise signals and follow
them on "mijn signalen"; staff take signals in, move them through the seven steps on a
board, put out calls and keep each table's agenda. The rules are matching/signals/."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schakel.errors import ImportFormatError, NodeNotFoundError
from schakel.graph.exchange import ImportReport, import_document
from schakel.graph.model import Call, Signal, Table
from schakel.matching.signals import STEP_NL, SignalDesk, SignalView

from ..access import Principal
from ..context import AppState
from .members import own_member

__all__ = ["make_desk", "submit_as_member", "submit_as_staff", "my_signals", "board",
           "signal_for", "act", "recognise", "unrecognise", "tables", "table_agenda",
           "put_out_call", "calls", "import_csv", "read_signal_csv", "recognisable",
           "CSV_COLUMNS"]

# Steps at which members see signals of others (to recognise them): from toetsen on.
SHOWN_FROM = 3


def make_desk(ctx: AppState) -> SignalDesk:
    def place_of(name: str) -> str | None:
        place = ctx.gazetteer.find(name)
        return place.id if place is not None else None

    return SignalDesk(ctx.store, ctx, place_of=place_of, clock=_now)


def _now() -> Any:
    from datetime import UTC, datetime

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
    own = view.raised_by is not None and view.raised_by.id == who.member_id
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
