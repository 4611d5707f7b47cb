"""Opening the configured store, shared by the CLI and the web app."""

from __future__ import annotations

from functools import lru_cache

from schakel.graph.geo import Gazetteer
from schakel.graph.local import LocalGraphStore
from schakel.graph.store import GraphStore
from schakel.matching.embeddings import CachedEncoder, EmbeddingCache, Encoder, make_encoder
from schakel.matching.engine import Matcher
from schakel.seeds.reference import ensure_vocabulary

from .config import Settings
from .offload import fit_in_child


def open_store(settings: Settings, kind: str | None = None) -> GraphStore:
    """The graph store the settings ask for (or ``kind``: "local" or "neo4j").

    Raises
    ------
    StoreError
        When the store cannot be opened (a broken file, Neo4j unreachable).

    The store holds places, domains and themes from its first open.
    """
    store: GraphStore
    if (kind or settings.store) == "neo4j":
        from schakel.graph.neo4j import Neo4jGraphStore  # the driver only when asked for

        store = Neo4jGraphStore(settings.neo4j_uri, settings.neo4j_user,
                                settings.neo4j_password.get_secret_value(),
                                settings.neo4j_database)
    else:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = LocalGraphStore(settings.store_path)
    try:
        # Places, domains and themes are there from the first open: an import into an
        # empty data dir finds what its rows refer to.
        ensure_vocabulary(store)
    except BaseException:
        store.close()
        raise
    return store


@lru_cache(maxsize=4)
def _encoder(backend: str, model: str) -> Encoder:
    # Loading a model takes a second or more; one instance per process is enough.
    return make_encoder(backend, model)


def open_matcher(settings: Settings, gazetteer: Gazetteer, serving: bool = False) -> Matcher:
    """A matcher with the configured encoder and its embedding cache in the data dir.
    ``serving``: a large backlog of texts is encoded in the background (the service);
    otherwise every text is encoded before the first answer (commands, the benchmark). The
    service also fits its theme model in a process of its own (offload.py)."""
    settings.embeddings_path.parent.mkdir(parents=True, exist_ok=True)
    cache = EmbeddingCache(settings.embeddings_path)
    return Matcher(gazetteer, CachedEncoder(_encoder(settings.encoder, settings.encoder_model),
                                            cache), learn_themes=settings.learn_themes,
                   background_from=settings.encode_background_from if serving else None,
                   exact_vectors=settings.exact_vectors,
                   fit_apart=fit_in_child if serving else None)
