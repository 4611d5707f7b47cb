"""Shared fixtures: one seeded store file per test session, copied for tests that write."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pageclient import PageClient
from starlette.testclient import TestClient

from schakel.graph.geo import Gazetteer
from schakel.graph.local import LocalGraphStore
from schakel.seeds.load import seed_store

SEEDED_MEMBERS = 300
# Servers and matchers started by tests skip the background theme model (a minute of CPU per
# full build on this machine); tests/matching/test_theme_model.py fits it on purpose.
os.environ.setdefault("SCHAKEL_LEARN_THEMES", "false")


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


@pytest.fixture(scope="session")
def seeded_file(tmp_path_factory: pytest.TempPathFactory, gazetteer: Gazetteer) -> Path:
    """A store with all reference data and 300 generated members, closed (WAL checkpointed)."""
    path = tmp_path_factory.mktemp("seeded") / "schakel.sqlite"
    with LocalGraphStore(path) as store:
        seed_store(store, SEEDED_MEMBERS, seed=7, gazetteer=gazetteer)
    return path


@pytest.fixture
def seeded_store(seeded_file: Path, tmp_path: Path) -> Iterator[LocalGraphStore]:
    """A private, writable copy of the seeded store."""
    path = tmp_path / "schakel.sqlite"
    shutil.copyfile(seeded_file, path)
    store = LocalGraphStore(path)
    yield store
    store.close()


@pytest.fixture(scope="session")
def use_encoder() -> Any:
    """The real default encoder (multilingual USE from its PyPI package), loaded once."""
    from schakel.matching.embeddings import UseEncoder

    return UseEncoder()


@pytest.fixture(scope="session")
def embedding_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One embedding cache for the session, so each text is encoded once."""
    return tmp_path_factory.mktemp("embeddings") / "embeddings.sqlite"


@pytest.fixture(scope="session")
def matcher(seeded_file: Path, gazetteer: Gazetteer, use_encoder: Any,
            embedding_file: Path) -> Any:
    """A matcher with the real encoder, synced to the seeded store (read-only use)."""
    from schakel.matching.embeddings import CachedEncoder, EmbeddingCache
    from schakel.matching.engine import Matcher

    m = Matcher(gazetteer, CachedEncoder(use_encoder, EmbeddingCache(embedding_file)))
    with LocalGraphStore(seeded_file) as store:
        m.sync(store)
    return m


@pytest.fixture(scope="session")
def seeded_graph(seeded_file: Path) -> Any:
    """The seeded store as a frozen networkx graph: an independent view to check results."""
    with LocalGraphStore(seeded_file) as store:
        return store.snapshot()


@dataclass(frozen=True)
class Keys:
    """API keys of one account per role, made in a data dir before the app starts."""

    admin: str
    staff: str
    member: str
    member_id: str

    @staticmethod
    def bearer(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}


DEMO_MEMBER = "m-000002"  # visible to members in the seeded graph (seed 7)


def make_keys(data_dir: Path, member_id: str = DEMO_MEMBER) -> Keys:
    from schakel.service.access import open_access
    from schakel.service.config import Settings

    access = open_access(Settings(data_dir=data_dir, store="local"))
    try:
        return Keys(admin=access.add_user("beheer", "admin"),
                    staff=access.add_user("regiebureau", "staff"),
                    member=access.add_user("lid", "member", member_id),
                    member_id=member_id)
    finally:
        access.close()


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    """Accounts in ``tmp_path``: build the app with ``Settings(data_dir=tmp_path)``."""
    return make_keys(tmp_path)


@pytest.fixture
def page_client() -> type[TestClient]:
    """The TestClient class to use for tests that submit page forms."""
    return PageClient
