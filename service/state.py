"""Opening the configured store, shared by the CLI and the web app."""

from __future__ import annotations

from schakel.graph.local import LocalGraphStore
from schakel.graph.store import GraphStore

from .config import Settings


def open_store(settings: Settings, kind: str | None = None) -> GraphStore:
    """The graph store the settings ask for (or ``kind``: "local" or "neo4j").

    Raises
    ------
    StoreError
        When the store cannot be opened (a broken file, Neo4j unreachable).
    """
    if (kind or settings.store) == "neo4j":
        from schakel.graph.neo4j import Neo4jGraphStore  # the driver only when asked for

        return Neo4jGraphStore(settings.neo4j_uri, settings.neo4j_user,
                               settings.neo4j_password.get_secret_value(),
                               settings.neo4j_database)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return LocalGraphStore(settings.store_path)
