"""The exchange format: one JSON document (or a CSV of members) in, the same document out.

Import checks every row on its own and reports what is wrong with it, writes the good rows
in batches (each batch one transaction: all of it or nothing), and is idempotent: the same
ids update what is there. Fields a row leaves out keep their stored value.
See docs/exchange-format.md.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from schakel.errors import GraphValidationError, ImportFormatError, SchakelError

from .geo import Gazetteer
from .lookup import Lookup
from .model import (
    CHANNELS,
    COMMUNITY_KINDS,
    INSTRUMENTS,
    NODE_MODELS,
    OPTIONS,
    ORG_KINDS,
    ORG_RELATIONS,
    REL_SCHEMA,
    ROLES,
    URGENCIES,
    VISIBILITY,
    Node,
    Relationship,
    problems_from,
)
from .privacy import PRIVATE_FIELDS
from .reading import Read, Reader
from .store import Batch, GraphStore

__all__ = [
    "SECTIONS", "RowError", "ImportReport", "read_document", "import_document",
    "export_document", "member_batch",
]

SECTIONS = ("organisations", "members", "practices", "communities", "tables", "calls",
            "signals", "relationships")
# Relationships that rows express through their own fields; export writes them there.
_ROW_FIELDS = {"WORKS_AT", "BASED_IN", "ACTIVE_IN", "WORKS_ON", "IN_DOMAIN", "ABOUT",
               "IN_REGION", "INVOLVES", "MEMBER_OF", "RAISED_BY", "ANSWERS",
               "SEEKS", "OFFERS"}
_SIGNAL_FIELDS = ("text", "step", "channel", "urgency", "instrument", "option", "created",
                  "updated", "causes", "shared", "feedback", "cluster", "history")
# Relationships a member has at most one of.
_ONE_PER_MEMBER = {"WORKS_AT", "BASED_IN"}
# Relationships inside the reference data, which the document does not carry.
_REFERENCE_TYPES = {"PART_OF", "BROADER"}
_LIST_SPLIT = ";"
_TRUE = {"1", "true", "ja", "yes", "j", "y", "waar"}
_FALSE = {"0", "false", "nee", "no", "n", "onwaar", ""}

Progress = Callable[[int], None]


@dataclass
class RowError:
    section: str
    row: int  # 1-based position in its section (CSV: the data row, header not counted)
    id: str | None
    field: str
    message: str

    def __str__(self) -> str:
        ident = f" ({self.id})" if self.id else ""
        return f"{self.section} rij {self.row}{ident}: {self.field}: {self.message}"


@dataclass
class ImportReport:
    """Rows per section, rows stored, errors (row not stored) and warnings (row stored,
    a value read as something close to it)."""

    written: Counter[str] = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)
    rows: Counter[str] = field(default_factory=Counter)
    warnings: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": dict(self.rows),
            "written": dict(self.written),
            "errors": [e.__dict__ for e in self.errors],
            "warnings": [w.__dict__ for w in self.warnings],
        }


class _RowProblem(Exception):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


# -- reading files ------------------------------------------------------------------------
def read_document(path: str | Path) -> dict[str, Any]:
    """Read a JSON exchange document, or a CSV file of members (one row per member)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ImportFormatError(f"kan {path} niet lezen: {e}") from e
    if path.suffix.lower() == ".csv":
        return {"members": _csv_members(text)}
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ImportFormatError(f"{path} is geen geldige JSON (regel {e.lineno}): {e.msg}") from e
    return check_document(doc)


def check_document(doc: Any) -> dict[str, Any]:
    """The document's shape: an object whose known keys are lists of objects."""
    if not isinstance(doc, dict):
        raise ImportFormatError("het document moet een JSON-object zijn met lijsten per soort")
    unknown = sorted(set(doc) - set(SECTIONS) - {"format", "version", "exported"})
    if unknown:
        raise ImportFormatError(
            f"onbekende onderdelen {', '.join(unknown)}; verwacht: {', '.join(SECTIONS)}"
        )
    for name in SECTIONS:
        rows = doc.get(name, [])
        if not isinstance(rows, list):
            raise ImportFormatError(f"'{name}' moet een lijst zijn")
    return doc


def _csv_members(text: str) -> list[dict[str, Any]]:
    # Spreadsheets write commas, semicolons (Dutch Excel) or tabs; the header line tells which.
    header = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=header.count)
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    try:
        if not reader.fieldnames or "id" not in [f.strip().lower() for f in reader.fieldnames]:
            raise ImportFormatError(
                "het CSV-bestand mist een kopregel met in elk geval de kolom 'id'")
        return [_csv_row(raw) for raw in reader]
    except csv.Error as e:
        raise ImportFormatError(f"het CSV-bestand is niet te lezen (regel {reader.line_num}): {e}"
                                ) from e


def _csv_row(raw: dict[str | None, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for key, value in raw.items():
        if key is None or not isinstance(value, str):  # cells beyond the header
            continue
        key, value = key.strip().lower(), value.strip()
        if value == "":
            continue  # an empty cell is "not given": the stored value stays
        if key in ("themes", "domains", "roles", "seeks", "offers"):
            items = [v.strip() for v in value.split(_LIST_SPLIT) if v.strip()]
            row[key] = [_csv_theme(t) for t in items] if key in ("themes", "offers") else items
        else:
            row[key] = value
    return row


def _csv_theme(text: str) -> Any:
    # "thuiszitters:3" gives a level; a plain name does not.
    name, sep, level = text.rpartition(":")
    if sep and level.strip().isdigit():
        return {"theme": name.strip(), "level": int(level)}
    return text


# -- import -------------------------------------------------------------------------------
@dataclass
class _Prepared:
    row: int
    id: str
    nodes: list[Node]
    rels: list[Relationship]
    replace: list[tuple[str, str]]


class _Row:
    """What a handler needs for one row: the store, the reader and the row's warnings."""

    def __init__(self, store: GraphStore, read: Reader) -> None:
        self.store = store
        self.read = read
        self.notes: list[tuple[str, str]] = []

    def take(self, field_name: str, found: Read | None) -> str | None:
        if found is None:
            return None
        if found.note:
            self.notes.append((field_name, found.note))
        return found.value


class _Planned:
    """The store as a check (``--check``) sees it: what is stored plus the rows that would be."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self.nodes: dict[str, Node] = {}

    def get(self, node_id: str) -> Node | None:
        return self.nodes.get(node_id) or self._store.get(node_id)

    def label_of(self, node_id: str) -> str | None:
        node = self.nodes.get(node_id)
        return node.label if node is not None else self._store.label_of(node_id)


def import_document(
    store: GraphStore,
    doc: dict[str, Any],
    *,
    gazetteer: Gazetteer | None = None,
    lookup: Lookup | None = None,
    mapping: dict[str, dict[str, str]] | None = None,
    check: bool = False,
    batch_size: int = 500,
    progress: Progress | None = None,
) -> ImportReport:
    """Import an exchange document into ``store``.

    Parameters
    ----------
    doc : the parsed document (see :func:`read_document`).
    lookup : names of themes, domains and organisations, if the caller keeps one (it is
        updated with the organisations this import adds).
    mapping : the file's own words for names and fixed values (see graph/reading.py).
    check : report what an import would do, write nothing.
    batch_size : rows per transaction; a batch is written entirely or not at all.
    progress : called with the number of rows handled, for a progress bar.

    Returns
    -------
    ImportReport with rows seen, rows written (or, with ``check``, that would be) per
    section, one error per row not stored and the warnings of rows stored but read leniently.
    """
    check_document(doc)
    lookup = lookup or Lookup(store, gazetteer or Gazetteer.load())
    planned = _Planned(store)
    view: Any = planned if check else store
    reader = Reader(lookup, mapping, name_of=lambda i: _name_of(planned, i))
    report = ImportReport()
    handlers = {
        "organisations": _organisation,
        "members": _member,
        "practices": _practice,
        "communities": _community,
        "tables": _table,
        "calls": _call,
        "signals": _signal,
        "relationships": _relationship,
    }
    for section in SECTIONS:
        rows = doc.get(section) or []
        report.rows[section] = len(rows)
        prepared: list[_Prepared] = []
        seen: set[str | tuple[str, str]] = set()
        for i, row in enumerate(rows, start=1):
            row_id = row.get("id") if isinstance(row, dict) else None
            ctx = _Row(view, reader)
            try:
                if not isinstance(row, dict):
                    raise _RowProblem("(rij)", "een rij moet een object zijn")
                item = handlers[section](ctx, row, i)
                # A node once per file; a member's one organisation or gemeente once too.
                keys: list[str | tuple[str, str]] = (
                    list(item.replace) if section == "relationships" else [item.id])
                if any(key in seen for key in keys):
                    field = "from" if section == "relationships" else "id"
                    raise _RowProblem(field, "staat al eerder in dit bestand")
                seen.update(keys)
                prepared.append(item)
                report.warnings += [RowError(section, i, item.id if section != "relationships"
                                             else None, f, m) for f, m in ctx.notes]
            except _RowProblem as p:
                report.errors.append(RowError(section, i, _str_or_none(row_id), p.field, p.message))
                if progress:
                    progress(1)
        for start in range(0, len(prepared), batch_size):
            batch = prepared[start : start + batch_size]
            if check:
                _plan_batch(planned, lookup, section, batch, report)
            else:
                _write_batch(store, lookup, section, batch, report)
            if progress:
                progress(len(batch))
    report.errors.sort(key=lambda e: (SECTIONS.index(e.section), e.row))
    report.warnings.sort(key=lambda e: (SECTIONS.index(e.section), e.row))
    return report


def _name_of(view: _Planned, node_id: str) -> str | None:
    node = view.get(node_id)
    return getattr(node, "name", None) if node is not None else None


def member_batch(store: GraphStore, lookup: Lookup, row: dict[str, Any]) -> Batch:
    """One member row of the exchange format as the batch that writes it, checked like a
    row of an import (names resolved, stored fields kept where the row leaves them out),
    but without guessing: no parts of labels, no close spellings.

    Raises
    ------
    GraphValidationError : the row does not fit; the problem names the field.
    """
    try:
        item = _member(_Row(store, Reader(lookup, lenient=False)), row, 1)
    except _RowProblem as p:
        raise GraphValidationError([{"item": _str_or_none(row.get("id")), "field": p.field,
                                     "message": p.message}]) from None
    return Batch.of(item.nodes, item.rels, item.replace)


def _plan_batch(planned: _Planned, lookup: Lookup, section: str, batch: list[_Prepared],
                report: ImportReport) -> None:
    report.written[section] += len(batch)
    for p in batch:
        for node in p.nodes:
            planned.nodes[node.id] = node
            if node.label in ("Organisation", "Theme", "Domain"):
                lookup.add(node.label, node.id, getattr(node, "name", None),
                           getattr(node, "abbreviation", None))


def _write_batch(store: GraphStore, lookup: Lookup, section: str, batch: list[_Prepared],
                 report: ImportReport) -> None:
    try:
        store.write(
            nodes=[n for p in batch for n in p.nodes],
            relationships=[r for p in batch for r in p.rels],
            replace=[r for p in batch for r in p.replace],
        )
    except SchakelError as e:
        for p in batch:
            report.errors.append(RowError(section, p.row, p.id, "(batch)",
                                          f"batch niet opgeslagen: {e}"))
        return
    report.written[section] += len(batch)
    for p in batch:
        for node in p.nodes:
            if node.label in ("Organisation", "Theme", "Domain"):
                lookup.add(node.label, node.id, getattr(node, "name", None),
                           getattr(node, "abbreviation", None))


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _require_id(row: dict[str, Any]) -> str:
    value = row.get("id")
    if not isinstance(value, str) or not value.strip():
        raise _RowProblem("id", "ontbreekt (elke rij heeft een vaste id nodig)")
    return value.strip()


def _as_list(row: dict[str, Any], key: str) -> list[Any]:
    value = row.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(_LIST_SPLIT) if v.strip()]
    if not isinstance(value, list):
        raise _RowProblem(key, "moet een lijst zijn")
    return value


Find = Callable[[str], "Read | None"]


def _resolve_all(ctx: _Row, row: dict[str, Any], key: str, find: Find, what: str) -> list[str]:
    found = []
    for j, ref in enumerate(_as_list(row, key)):
        if not isinstance(ref, str):
            raise _RowProblem(f"{key}[{j}]", f"verwacht een naam of id van een {what}")
        target = ctx.take(f"{key}[{j}]", find(ref))
        if target is None:
            raise _RowProblem(f"{key}[{j}]", f"{_unknown(what)}: {ref!r}")
        found.append(target)
    return list(dict.fromkeys(found))


def _unknown(what: str) -> str:
    # Dutch adjectives take -e before a de-word: onbekend thema, onbekende plaats.
    return f"onbekend {what}" if what in ("thema", "domein", "lid", "id") else f"onbekende {what}"


def _choice(ctx: _Row, row: dict[str, Any], key: str, options: Iterable[str],
            what: str, *, field_name: str | None = None) -> dict[str, Any]:
    """``row`` with ``key`` read as one of ``options`` (left alone when absent)."""
    if key not in row or row[key] is None:
        return row
    value = ctx.take(field_name or key, ctx.read.choice(field_name or key, row[key], options))
    if value is None:
        raise _RowProblem(key, f"{_unknown(what)} {row[key]!r}; kies uit {', '.join(options)}")
    return {**row, key: value}


def _choices(ctx: _Row, row: dict[str, Any], key: str, options: Iterable[str],
             what: str) -> list[str]:
    out = []
    for j, ref in enumerate(_as_list(row, key)):
        value = ctx.take(f"{key}[{j}]", ctx.read.choice(key, ref, options))
        if value is None:
            raise _RowProblem(key, f"{_unknown(what)} {ref!r}; kies uit {', '.join(options)}")
        out.append(value)
    return list(dict.fromkeys(out))


def _node(store: Any, label: str, row: dict[str, Any], fields: Iterable[str]) -> Node:
    """Stored properties overlaid with the row's fields, validated as one typed node."""
    node_id = _require_id(row)
    old = store.get(node_id)
    if old is not None and old.label != label:
        raise _RowProblem("id", f"hoort al bij een {old.label}")
    data = old.props() if old is not None else {}
    data.update({k: row[k] for k in fields if k in row})
    data["id"] = node_id
    try:
        return NODE_MODELS[label].model_validate(data)
    except ValidationError as e:
        raise _first_problem(e, "(rij)") from e


class _Links:
    """The relationships a row's reference fields stand for. A field the row gives replaces
    the stored relationships of that type; a field it leaves out keeps them."""

    def __init__(self, ctx: _Row, node: Node) -> None:
        self.ctx = ctx
        self.node = node
        self.rels: list[Relationship] = []
        self.replace: list[tuple[str, str]] = []

    def field(self, row: dict[str, Any], key: str, rel_type: str, find: Find, what: str, *,
              single: bool = False) -> None:
        if key not in row:
            return
        self.replace.append((self.node.id, rel_type))
        if single:
            targets = [_one(self.ctx, row, key, find, what)] if row[key] else []
        else:
            targets = _resolve_all(self.ctx, row, key, find, what)
        self.rels += [Relationship(type=rel_type, start=self.node.id, end=t) for t in targets]

    def prepared(self, row_no: int) -> _Prepared:
        return _Prepared(row_no, self.node.id, [self.node], self.rels, self.replace)


def _one(ctx: _Row, row: dict[str, Any], key: str, find: Find, what: str) -> str:
    ref = row[key]
    if not isinstance(ref, str):
        raise _RowProblem(key, f"verwacht een naam of id van een {what}")
    target = ctx.take(key, find(ref))
    if target is None:
        raise _RowProblem(key, f"onbekende {what}: {ref!r}")
    return target


def _organisation(ctx: _Row, row: dict[str, Any], i: int) -> _Prepared:
    if "kind" in row and row["kind"] is not None:
        found = ctx.read.choice("kind", row["kind"], ORG_KINDS)
        if found is None:  # an unknown kind loses nothing else: the row is kept as "overig"
            found = Read("overig", f"onbekende soort {row['kind']!r}, opgeslagen als 'overig'")
        row = {**row, "kind": ctx.take("kind", found)}
    row = _choice(ctx, row, "relation", ORG_RELATIONS, "relatie")
    links = _Links(ctx, _node(ctx.store, "Organisation", row,
                              ("name", "abbreviation", "kind", "relation")))
    links.field(row, "domains", "IN_DOMAIN", ctx.read.domain, "domein")
    links.field(row, "gemeente", "BASED_IN", ctx.read.region, "plaats", single=True)
    return links.prepared(i)


def _member(ctx: _Row, row: dict[str, Any], i: int) -> _Prepared:
    if "roles" in row:
        roles = _choices(ctx, row, "roles", ROLES, "rol")
        row = {**row, "roles": list(dict.fromkeys(["member", *roles]))}
    if "visibility" in row and row["visibility"] is not None:
        found = ctx.take("visibility", ctx.read.choice("visibility", row["visibility"],
                                                       VISIBILITY))
        if found is None:
            raise _RowProblem("visibility", f"kies uit {', '.join(VISIBILITY)}")
        row = {**row, "visibility": found}
    for flag in ("consent_matching", "consent_contact"):
        if isinstance(row.get(flag), str):
            value = row[flag].strip().lower()
            if value not in _TRUE | _FALSE:
                raise _RowProblem(flag, "verwacht ja of nee")
            row = {**row, flag: value in _TRUE}
    if "private_fields" in row:
        row = {**row, "private_fields": _choices(ctx, row, "private_fields", PRIVATE_FIELDS,
                                                 "veld")}
    links = _Links(ctx, _node(ctx.store, "Member", row,
                              ("name", "function", "roles", "profile", "availability",
                               "visibility", "consent_matching", "consent_contact", "contact",
                               "private_fields", "role_level", "perspective")))
    links.field(row, "organisation", "WORKS_AT", ctx.read.organisation, "organisatie",
                single=True)
    # Location is only ever a gemeente: approximate by design.
    links.field(row, "gemeente", "BASED_IN", ctx.read.gemeente, "gemeente", single=True)
    links.field(row, "domains", "ACTIVE_IN", ctx.read.domain, "domein")
    if "themes" in row:
        links.replace.append((links.node.id, "WORKS_ON"))
        links.rels += _member_themes(ctx, links.node.id, row)
    # Issue 16: what the member wants to learn about (SEEKS) and brings (OFFERS, a level).
    if "seeks" in row:
        links.replace.append((links.node.id, "SEEKS"))
        links.rels += [Relationship(type="SEEKS", start=links.node.id, end=r.end)
                       for r in _member_themes(ctx, links.node.id, row, "seeks")]
    if "offers" in row:
        links.replace.append((links.node.id, "OFFERS"))
        links.rels += _member_themes(ctx, links.node.id, row, "offers", "OFFERS")
    return links.prepared(i)


def _member_themes(ctx: _Row, member_id: str, row: dict[str, Any], key: str = "themes",
                   rel_type: str = "WORKS_ON") -> list[Relationship]:
    levels: dict[str, int] = {}
    for j, item in enumerate(_as_list(row, key)):
        where = f"{key}[{j}]"
        level = 2
        if isinstance(item, dict):
            ref = item.get("theme")
            level = item.get("level", 2)
            if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 3:
                raise _RowProblem(f"{where}.level", "moet 1, 2 of 3 zijn")
        else:
            ref = item
        if not isinstance(ref, str):
            raise _RowProblem(where, "verwacht een themanaam of id, of {\"theme\", \"level\"}")
        theme = ctx.take(where, ctx.read.theme(ref))
        if theme is None:
            raise _RowProblem(where, f"onbekend thema: {ref!r}")
        levels[theme] = level
    return [Relationship(type=rel_type, start=member_id, end=t, props={"level": lv})
            for t, lv in levels.items()]


def _practice(ctx: _Row, row: dict[str, Any], i: int) -> _Prepared:
    links = _Links(ctx, _node(ctx.store, "Practice", row, ("title", "summary", "source")))
    links.field(row, "themes", "ABOUT", ctx.read.theme, "thema")
    links.field(row, "gemeenten", "IN_REGION", ctx.read.region, "plaats")
    links.field(row, "organisations", "INVOLVES", ctx.read.organisation, "organisatie")
    return links.prepared(i)


def _community(ctx: _Row, row: dict[str, Any], i: int) -> _Prepared:
    row = _choice(ctx, row, "kind", COMMUNITY_KINDS, "soort", field_name="community_kind")
    links = _Links(ctx, _node(ctx.store, "Community", row, ("name", "kind", "description")))
    links.field(row, "themes", "ABOUT", ctx.read.theme, "thema")
    for j, member in enumerate(_as_list(row, "members")):
        if not isinstance(member, str) or ctx.store.label_of(member) != "Member":
            raise _RowProblem(f"members[{j}]", f"onbekend lid: {member!r}")
        links.rels.append(Relationship(type="MEMBER_OF", start=member, end=links.node.id))
    return links.prepared(i)


def _table(ctx: _Row, row: dict[str, Any], i: int) -> _Prepared:
    return _Links(ctx, _node(ctx.store, "Table", row, ("name", "kind", "scope"))).prepared(i)


def _call(ctx: _Row, row: dict[str, Any], i: int) -> _Prepared:
    links = _Links(ctx, _node(ctx.store, "Call", row, ("title", "text", "kind", "opens", "closes",
                                               "created")))
    links.field(row, "themes", "ABOUT", ctx.read.theme, "thema")
    links.field(row, "domains", "IN_DOMAIN", ctx.read.domain, "domein")
    links.field(row, "regions", "IN_REGION", ctx.read.region, "plaats")
    return links.prepared(i)


def _signal(ctx: _Row, row: dict[str, Any], i: int) -> _Prepared:
    """A signal; ``raised_by`` is the id of a member, organisation or region (left out or
    empty: anonymous, through the regiebureau)."""
    store = ctx.store

    def raiser(ref: str) -> Read | None:
        label = store.label_of(ref)
        return Read(ref) if label in ("Member", "Organisation", "Region") else None

    def call(ref: str) -> Read | None:
        return Read(ref) if store.label_of(ref) == "Call" else None

    if isinstance(row.get("step"), str) and row["step"].strip().isdigit():
        row = {**row, "step": int(row["step"])}
    if "step" in row and (not isinstance(row["step"], int) or not 1 <= row["step"] <= 7):
        raise _RowProblem("step", "kies een stap van 1 tot en met 7")
    for key, allowed in (("channel", CHANNELS), ("urgency", URGENCIES),
                         ("instrument", INSTRUMENTS), ("option", OPTIONS)):
        if row.get(key) and row[key] not in allowed:
            raise _RowProblem(key, f"onbekend: {row[key]!r}; kies uit {', '.join(allowed)}")
    text = row.get("text")
    if isinstance(text, str) and not 3 <= len(text.strip()) <= 5000:
        raise _RowProblem("text", "de tekst moet 3 tot 5000 tekens lang zijn")
    links = _Links(ctx, _node(store, "Signal", row, _SIGNAL_FIELDS))
    links.field(row, "themes", "ABOUT", ctx.read.theme, "thema")
    links.field(row, "domains", "IN_DOMAIN", ctx.read.domain, "domein")
    links.field(row, "place", "IN_REGION", ctx.read.region, "plaats", single=True)
    links.field(row, "raised_by", "RAISED_BY", raiser, "lid, organisatie of regio",
                single=True)
    links.field(row, "call", "ANSWERS", call, "uitvraag", single=True)
    return links.prepared(i)


def _relationship(ctx: _Row, row: dict[str, Any], i: int) -> _Prepared:
    store = ctx.store
    rel_type = row.get("type")
    if isinstance(rel_type, str) and rel_type.upper() in REL_SCHEMA:
        rel_type = rel_type.upper()
    if not isinstance(rel_type, str) or rel_type not in REL_SCHEMA:
        raise _RowProblem("type", f"onbekend relatietype {rel_type!r}")
    starts, ends, _ = REL_SCHEMA[rel_type]
    ends_at = {}
    for key, allowed in (("from", starts), ("to", ends)):
        ref = row.get(key)
        if not isinstance(ref, str):
            raise _RowProblem(key, "ontbreekt")
        label = store.label_of(ref)
        if label is None:
            raise _RowProblem(key, f"onbekend id {ref!r}")
        if label not in allowed:
            raise _RowProblem(key, f"{rel_type} past niet bij een {label}")
        ends_at[key] = ref
    props = row.get("props") or {}
    if not isinstance(props, dict):
        raise _RowProblem("props", "moet een object zijn")
    props = dict(props)
    props.update({k: v for k, v in row.items() if k not in ("type", "from", "to", "props")})
    rel = Relationship(type=rel_type, start=ends_at["from"], end=ends_at["to"], props=props)
    try:
        rel.checked_props()
    except ValidationError as e:
        raise _first_problem(e, "props") from e
    replace: list[tuple[str, str]] = []
    if store.label_of(rel.start) == "Member" and rel.type in _ONE_PER_MEMBER:
        # A member works at one organisation and lives in one gemeente (never finer).
        if rel.type == "BASED_IN" and not rel.end.startswith("gm-"):
            raise _RowProblem("to", "de plaats van een lid is een gemeente")
        replace.append((rel.start, rel.type))
    return _Prepared(i, f"{rel.start}-{rel.type}-{rel.end}", [], [rel], replace)


def _first_problem(error: ValidationError, fallback: str) -> _RowProblem:
    first = problems_from(error, None)[0]
    field = first["field"] if first["field"] != "(document)" else fallback
    return _RowProblem(field, first["message"])


# -- export -------------------------------------------------------------------------------
def export_document(store: GraphStore) -> dict[str, Any]:
    """The whole network (not the reference regions/themes/domains) as one document."""

    def targets(node_id: str, rel_type: str) -> list[str]:
        return store.neighbour_ids(node_id, rel_type)

    def first(node_id: str, rel_type: str) -> str | None:
        found = targets(node_id, rel_type)
        return found[0] if found else None

    doc: dict[str, Any] = {"format": "schakel-exchange", "version": 1}
    doc["organisations"] = [
        {**n.props(), "id": n.id, "domains": targets(n.id, "IN_DOMAIN"),
         "gemeente": first(n.id, "BASED_IN")}
        for n in store.iter_nodes("Organisation")
    ]
    doc["members"] = [
        {**n.props(), "id": n.id, "organisation": first(n.id, "WORKS_AT"),
         "gemeente": first(n.id, "BASED_IN"), "domains": targets(n.id, "ACTIVE_IN"),
         "themes": [{"theme": r.end, "level": r.props.get("level", 2)}
                    for r in store.relationships(n.id, "WORKS_ON")],
         "seeks": targets(n.id, "SEEKS"),
         "offers": [{"theme": r.end, "level": r.props.get("level", 2)}
                    for r in store.relationships(n.id, "OFFERS")]}
        for n in store.iter_nodes("Member")
    ]
    doc["practices"] = [
        {**n.props(), "id": n.id, "themes": targets(n.id, "ABOUT"),
         "gemeenten": targets(n.id, "IN_REGION"), "organisations": targets(n.id, "INVOLVES")}
        for n in store.iter_nodes("Practice")
    ]
    doc["communities"] = [
        {**n.props(), "id": n.id, "themes": targets(n.id, "ABOUT"),
         "members": store.neighbour_ids(n.id, "MEMBER_OF", direction="in")}
        for n in store.iter_nodes("Community")
    ]
    doc["tables"] = [{**n.props(), "id": n.id} for n in store.iter_nodes("Table")]
    doc["calls"] = [
        {**n.props(), "id": n.id, "themes": targets(n.id, "ABOUT"),
         "domains": targets(n.id, "IN_DOMAIN"), "regions": targets(n.id, "IN_REGION")}
        for n in store.iter_nodes("Call")
    ]
    doc["signals"] = [
        {**n.props(), "id": n.id, "themes": targets(n.id, "ABOUT"),
         "domains": targets(n.id, "IN_DOMAIN"), "place": first(n.id, "IN_REGION"),
         "raised_by": first(n.id, "RAISED_BY"), "call": first(n.id, "ANSWERS")}
        for n in store.iter_nodes("Signal")
    ]
    exported_labels = {"Organisation", "Member", "Practice", "Community", "Table", "Call",
                       "Signal"}
    rels = [r for rel_type in REL_SCHEMA if rel_type not in _ROW_FIELDS | _REFERENCE_TYPES
            for r in store.relationships(type=rel_type)]
    labels = store.labels_of({r.start for r in rels} | {r.end for r in rels})
    doc["relationships"] = [
        {"type": r.type, "from": r.start, "to": r.end, **({"props": r.props} if r.props else {})}
        for r in rels
        if labels.get(r.start) in exported_labels and labels.get(r.end) in exported_labels
    ]
    return doc
