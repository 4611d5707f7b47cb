"""Steps in a process of their own: the answer comes back, so does the step's error, and a
child that dies says so. The serving matcher fits its theme model that way, so scikit-learn
never enters the service."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from schakel.service import offload
from schakel.service.offload import ChildGone, Children


def test_the_childs_answer_comes_back() -> None:
    assert Children("schakel-kind").run(sorted, [3, 1, 2], reverse=True) == [3, 2, 1]
    assert Children("schakel-kind").run(os.getpid) != os.getpid()


def test_the_childs_error_is_raised_again_with_its_type_and_traceback() -> None:
    with pytest.raises(json.JSONDecodeError) as raised:
        Children("schakel-kind").run(json.loads, '{"kapot": ')
    assert raised.value.pos == 10  # the error itself, not a description of it
    note = raised.value.__notes__[0]  # where in the child it was raised
    assert note.startswith("In process schakel-kind:") and "in raw_decode" in note
    with pytest.raises(TypeError, match="pickle"):  # an answer that cannot come back
        Children("schakel-kind").run(threading.Lock)


def test_an_error_that_does_not_pickle_comes_back_as_its_name() -> None:
    class Odd(Exception):
        def __init__(self, a: int, b: int) -> None:
            super().__init__(f"{a} en {b}")

    done, back, trace = offload._failed(Odd(1, 2))  # noqa: SLF001
    assert not done and type(back) is RuntimeError and str(back) == "Odd: 1 en 2"
    assert "Odd: 1 en 2" in trace


def test_a_child_that_exits_without_an_answer_is_gone() -> None:
    with pytest.raises(ChildGone, match="exit code 3"):
        Children("schakel-kind").run(os._exit, 3)


def test_a_killed_child_is_gone_and_stopped_children_start_no_more() -> None:
    children = Children("schakel-test")
    errors: list[BaseException] = []

    def wait() -> None:
        try:
            children.run(time.sleep, 60)
        except BaseException as e:  # noqa: BLE001 - what the test looks at
            errors.append(e)

    thread = threading.Thread(target=wait)
    thread.start()
    deadline = time.monotonic() + 60
    while not children.running:
        assert time.monotonic() < deadline, "the process did not start"
        time.sleep(0.05)
    proc = next(iter(children.running))
    assert proc.name == "schakel-test"
    proc.kill()
    thread.join(20)
    assert not thread.is_alive() and isinstance(errors[0], ChildGone)
    assert not children.running  # ended and forgotten
    children.stop()
    with pytest.raises(ChildGone, match="stopped"):
        children.run(sorted, [1])


def test_fit_in_child_fits_here_when_the_child_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    tried: list[tuple[str, object, int]] = []

    def gone(self: Children, step: object, *args: object) -> None:
        tried.append((self.name, step, len(args)))
        raise ChildGone("killed")

    def fit(*args: object) -> tuple[str, int]:
        return "here", len(args)

    monkeypatch.setattr(Children, "run", gone)
    monkeypatch.setattr(offload, "fit_theme_model", fit)
    assert offload.fit_in_child(["a"], [[1.0]], [["t"]]) == ("here", 3)
    assert tried == [("schakel-themamodel", fit, 3)]  # the child was asked first


SERVE = """
import json, sys
from schakel.graph.geo import Gazetteer
from schakel.graph.local import LocalGraphStore
from schakel.matching.engine import MatchQuery
from schakel.service.config import Settings
from schakel.service.state import open_matcher

settings = Settings()
matcher = open_matcher(settings, Gazetteer.load(), serving=True)
with LocalGraphStore(settings.store_path) as store:
    matcher.sync(store)
learned = matcher.themes_learned.wait(900)
model = matcher._state.theme_model
text = "Een leerling zit al maanden thuis en gaat niet naar school"
p = model.predict_one(text, matcher.encoder.encode_query(text)) if model else None
answer = matcher.match(MatchQuery(text=text))
print(json.dumps({"learned": learned, "themes": len(model.themes) if model else 0,
                  "sum": float(p.sum()) if p is not None else None,
                  "results": len(answer.results),
                  "loaded": [m for m in ("sklearn", "scipy.stats", "pandas")
                             if m in sys.modules]}))
"""


@pytest.mark.slow
def test_a_serving_matcher_fits_its_theme_model_in_a_child(seeded_file: Path,
                                                          tmp_path: Path) -> None:
    """Learned, used to read a question, and scikit-learn (with pandas and scipy.stats)
    never imported in the service."""
    shutil.copyfile(seeded_file, tmp_path / "schakel.sqlite")
    env = {**os.environ, "SCHAKEL_DATA_DIR": str(tmp_path), "SCHAKEL_LEARN_THEMES": "true",
           "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", SERVE], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=1200, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["learned"] and got["themes"] >= 2 and got["sum"] == pytest.approx(1.0)
    assert got["results"] > 0
    assert got["loaded"] == [], got  # what the fit imports (scipy.sparse is used here)
