"""Files in and out: the exchange format (JSON, or a CSV of members), for `schakel import`
and `schakel export`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from schakel.graph.exchange import ImportReport, export_document, import_document, read_document
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


def import_rows(store: GraphStore, doc: dict[str, Any], *, batch_size: int = 500,
                progress: Callable[[int], None] | None = None) -> ImportReport:
    """Write the good rows in batches (each all or nothing) and report every bad row."""
    return import_document(store, doc, batch_size=batch_size, progress=progress)


def export_all(store: GraphStore) -> dict[str, Any]:
    """The whole network as one exchange document (all fields: for administrators)."""
    return export_document(store)
