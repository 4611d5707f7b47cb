"""Files in and out: the exchange format (JSON, or a CSV of members), for `schakel import`
and `schakel export`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from schakel.errors import ImportFormatError
from schakel.graph.exchange import ImportReport, export_document, import_document, read_document
from schakel.graph.reading import MAP_KEYS
from schakel.graph.store import GraphStore


def read_file(path: Path) -> dict[str, Any]:
    """The document in ``path``.

    Raises
    ------
    ImportFormatError : not a document Schakel can read at all.
    """
    return read_document(path)


def rows_in(doc: dict[str, Any]) -> int:
    """How many rows the document holds, over all its sections (for a progress bar)."""
    return sum(len(doc.get(k) or []) for k in doc if isinstance(doc.get(k), list))


def read_map(path: Path) -> dict[str, dict[str, str]]:
    """A file's own words for Schakel's names (``--map FILE.yaml``): per kind of value
    (themes, domains, organisations, places, kind, relation, roles, visibility,
    private_fields, community_kind) a mapping from the file's word to Schakel's id or value.

    Raises
    ------
    ImportFormatError : the file is not such a mapping.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise ImportFormatError(f"kan het koppelbestand {path} niet lezen: {e}") from e
    if not isinstance(data, dict):
        raise ImportFormatError(f"het koppelbestand moet per soort een lijst 'woord: id' "
                                f"hebben ({', '.join(MAP_KEYS)})")
    out: dict[str, dict[str, str]] = {}
    for key, words in data.items():
        if key not in MAP_KEYS:
            raise ImportFormatError(f"onbekende soort {key!r} in het koppelbestand; "
                                    f"kies uit {', '.join(MAP_KEYS)}")
        if not isinstance(words, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in words.items()):
            raise ImportFormatError(f"'{key}' in het koppelbestand moet 'woord: id'-paren hebben")
        out[key] = dict(words)
    return out


def import_rows(store: GraphStore, doc: dict[str, Any], *, batch_size: int = 500,
                mapping: dict[str, dict[str, str]] | None = None, check: bool = False,
                progress: Callable[[int], None] | None = None) -> ImportReport:
    """Write the good rows in batches (each all or nothing) and report every bad row, and
    every value read as something close to it; with ``check``, write nothing."""
    return import_document(store, doc, batch_size=batch_size, mapping=mapping, check=check,
                           progress=progress)


def export_all(store: GraphStore) -> dict[str, Any]:
    """The whole network as one exchange document (all fields: for administrators)."""
    return export_document(store)
