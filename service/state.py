"""Opening the configured store, shared by the CLI and the web app."""

from __future__ import annotations

from schakel.graph.local import LocalGraphStore
from schakel.graph.store import GraphStore

from .config import Settings


def open_store(settings: Settings) -> GraphStore:
    """The graph store the settings ask for."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return LocalGraphStore(settings.store_path)
