"""The app of one `schakel serve --workers N` process (uvicorn calls the factory in each)."""

from __future__ import annotations

from fastapi import FastAPI

from .app import create_app
from .config import Settings
from .logs import configure


def create_worker_app() -> FastAPI:
    """Settings from the environment (the CLI put its options there); the matcher's indexes
    are built right away, as a single-process `schakel serve` does."""
    # A spawned worker does not run the CLI's main(), which sets up logging for our modules.
    settings = Settings()
    configure(settings.log_format)
    return create_app(settings, warm_up=True)
