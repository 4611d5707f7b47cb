"""Fuzzing the API with schemathesis (pinned in the test extra) against Schakel's own OpenAPI,
served by a real uvicorn on loopback, as anonymous, member, staff and admin callers.

Every generated request (valid and invalid data) must get no 5xx, a status the OpenAPI
documents for it, a body that fits the documented schema, and, for an error, a JSON body
with a Dutch `detail` and the request id. Bounded: ``FUZZ_EXAMPLES`` cases per operation and
role (env ``SCHAKEL_FUZZ_EXAMPLES``), so the whole run takes a few minutes on 2 cores.
Left out, with a reason: erasing members (``DELETE /members/{id}``: a fuzzer that hits a
real id erases a person the other roles' runs need; the erasure has its own tests)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hypothesis
import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from schakel.graph.local import LocalGraphStore
from schakel.service.app import create_app
from schakel.service.config import Settings

if TYPE_CHECKING:
    from conftest import Keys

FUZZ_EXAMPLES = int(os.environ.get("SCHAKEL_FUZZ_EXAMPLES", "8"))
SKIPPED = {("DELETE", "/api/v1/members/{member_id}")}
ENGLISH = ("Field required", "Input should", "There was an error", "Not Found",
           "Method Not Allowed", "Internal Server Error", "value is not a valid")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(seeded_store: LocalGraphStore, tmp_path: Path, keys: Keys,  # noqa: ARG001
           embedding_file: Path, matcher: Any) -> Iterator[str]:
    assert matcher.catalog is not None  # the session's embedding cache
    settings = Settings(data_dir=tmp_path, embeddings=embedding_file,
                        rate_writes="100000/minute", rate_login="100000/minute")
    port = _free_port()
    config = uvicorn.Config(create_app(settings, store=seeded_store, warm_up=True),
                            host="127.0.0.1", port=port, log_level="warning")
    served = uvicorn.Server(config)
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if requests.get(f"{base}/api/v1/ready", timeout=5).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, "server not ready within 120 s"
        time.sleep(0.2)
    yield base
    served.should_exit = True
    thread.join(timeout=30)


def dutch_error_body(response: Any) -> str | None:
    """What is wrong with an error answer, or None."""
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        return "geen JSON"
    if not isinstance(body, dict) or "detail" not in body or not body.get("request_id"):
        return f"geen detail/request_id: {str(body)[:120]}"
    text = str(body["detail"])
    english = [e for e in ENGLISH if e in text]
    return f"Engels: {english}: {text[:120]}" if english else None


@pytest.mark.parametrize("role", ["anonymous", "member", "staff", "admin"])
def test_fuzz_every_operation(server: str, keys: Keys, role: str) -> None:
    schema = schemathesis.openapi.from_url(f"{server}/api/v1/openapi.json")
    headers = {} if role == "anonymous" else keys.bearer(getattr(keys, role))
    session = requests.Session()
    counts: Counter[str] = Counter()
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        strategy = (operation.as_strategy(GenerationMode.POSITIVE)
                    | operation.as_strategy(GenerationMode.NEGATIVE))

        @hypothesis.settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
                             derandomize=True, phases=[hypothesis.Phase.generate],
                             suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def run(case: Any) -> None:
            counts["cases"] += 1
            response = case.call_and_validate(base_url=server, session=session,
                                              headers=headers, checks=CHECKS)
            counts[str(response.status_code)] += 1
            problem = dutch_error_body(response)
            assert problem is None, problem

        try:
            run()
        except (Exception, ExceptionGroup) as e:  # noqa: BLE001 - all report, one verdict
            failures.append(f"{operation.method.upper()} {operation.path}: "
                            f"{str(e).strip().splitlines()[0][:300]}")
    print(f"\nfuzz {role}: {dict(sorted(counts.items()))}")  # noqa: T201 - the counts to report
    assert counts["cases"] >= 40 * min(FUZZ_EXAMPLES, 2)
    assert failures == []
