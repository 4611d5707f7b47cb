"""Settings from SCHAKEL_* environment variables (and an optional .env file)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "schakel"


class Settings(BaseSettings):
    """Schakel's configuration. Every field is also an env var: ``data_dir`` is
    ``SCHAKEL_DATA_DIR``, ``port`` is ``SCHAKEL_PORT`` and so on."""

    model_config = SettingsConfigDict(
        env_prefix="SCHAKEL_", env_file=".env", env_ignore_empty=True, extra="ignore"
    )

    store: Literal["local", "neo4j"] = Field(
        default="local", description="Graph store: 'local' (embedded SQLite) or 'neo4j'."
    )
    neo4j_uri: str = Field(default="neo4j://localhost:7687",
                           description="Bolt address; neo4j+s://... for Aura or a cluster.")
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("")
    neo4j_database: str | None = Field(default=None,
                                       description="Database name; empty: the server default.")
    data_dir: Path = Field(default_factory=_default_data_dir)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    members: int = Field(default=600, ge=0, le=100_000, description="Demo members to generate.")
    seed: int = Field(default=7, description="Seed number for the generated demo members.")
    encoder: Literal["use", "sentence-transformers"] = Field(
        default="use", description="Sentence encoder backend for matching.")
    embeddings: Path | None = Field(
        default=None, description="Embedding cache file (default: embeddings.sqlite in data_dir); "
                                  "per machine, also with Neo4j: it can always be rebuilt.")
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest request body accepted (413 above).")
    rate_login: str = Field(default="10/minute",
                            description="Failed logins per address (limits notation).")
    rate_writes: str = Field(default="1200/minute",
                             description="Writes (POST, PUT, DELETE) per key or address.")
    rate_apply: str = Field(default="20/hour",
                            description="Applications (Lid worden, page or API) per address.")
    log_format: Literal["json", "text"] = Field(
        default="json", description="Log lines as JSON (with the request id) or plain text.")
    encoder_model: str = Field(
        default="", description="Model folder or package for the sentence-transformers backend.")
    encode_background_from: int = Field(
        default=2000, ge=0, description="More texts without a cached vector than this after a "
        "full build: serve at once and encode them in the background (meaning joins per text "
        "as its vector arrives).")
    exact_vectors: bool = Field(
        default=False, description="Keep the text vectors as float32 (4x the memory) instead "
        "of int8 codes whose top candidates are rescored with float32 from the embedding cache.")
    blas_threads: int = Field(
        default=1, ge=1, le=64, description="Threads for numpy's matrix products in the "
        "server (batches of texts to encode take the encoder's own). The server uses its "
        "cores itself: a question's scan is shared with an idle core, and a second BLAS "
        "thread on that core only waits for it.")
    learn_themes: bool = Field(
        default=True, description="Fit the question-to-theme model on the loaded network after "
                                  "each full build of the matcher (in the background).")

    @field_validator("data_dir", mode="after")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def store_path(self) -> Path:
        return self.data_dir / "schakel.sqlite"

    @property
    def access_path(self) -> Path:
        """Accounts (hashed API keys), the audit log and secrets with the embedded store (with
        Neo4j they live in its database: see ``access.open_access``)."""
        return self.data_dir / "access.sqlite"

    @property
    def embeddings_path(self) -> Path:
        """Cache of text embeddings, by (model, text hash)."""
        return self.embeddings or self.data_dir / "embeddings.sqlite"


@lru_cache
def get_settings() -> Settings:
    return Settings()
