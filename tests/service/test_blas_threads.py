"""A serving app keeps numpy's matrix products to SCHAKEL_BLAS_THREADS: the server shares a
question's scan with an idle core itself, and OpenBLAS workers on that core only wait."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from threadpoolctl import threadpool_info, threadpool_limits

from schakel.graph.local import LocalGraphStore
from schakel.service.app import create_app
from schakel.service.config import Settings


def _blas_threads() -> list[int]:
    return [int(i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"]


def test_a_serving_app_keeps_numpy_to_its_blas_threads(
        seeded_store: LocalGraphStore, tmp_path: Path, embedding_file: Path,
        matcher: Any) -> None:
    assert matcher.catalog is not None  # the session's embedding cache is filled
    before = _blas_threads()
    if not before or max(before) < 2:
        pytest.skip("numpy's BLAS runs on one thread on this machine already")
    settings = Settings(data_dir=tmp_path, embeddings=embedding_file, blas_threads=1,
                        learn_themes=False)
    try:
        with TestClient(create_app(settings, store=seeded_store, warm_up=True)) as client:
            deadline = time.monotonic() + 120
            while client.get("/api/v1/ready").status_code != 200:
                assert time.monotonic() < deadline, "the matcher was not ready in 2 minutes"
                time.sleep(0.2)
            assert set(_blas_threads()) == {1}
    finally:
        threadpool_limits(max(before), user_api="blas")
    assert max(_blas_threads()) == max(before)
