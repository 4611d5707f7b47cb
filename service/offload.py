"""Work in a process of its own: a fresh process (spawned: forking a process with threads is
unsafe) runs one step and sends its answer back through a pipe, then ends and gives its
memory back. The service's heap stays small, the step's imports stay out of the service and
a long step does not hold the service's interpreter lock while requests wait for it.

The step and its arguments go to the child pickled: the step is a module-level function.
"""

from __future__ import annotations

import logging
import multiprocessing
import pickle
import threading
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

import numpy as np

from schakel.matching.theme_model import ThemeModel, fit_theme_model

__all__ = ["ChildGone", "Children", "fit_in_child"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


class ChildGone(RuntimeError):
    """The child ended without an answer: killed (out of memory?), stopped, or it exited."""


class Children:
    """Child processes named ``name``, each running one step; :meth:`stop` ends those still
    running and refuses new ones (their owner closes: nobody will read the answers)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.running: set[BaseProcess] = set()
        self._lock = threading.Lock()
        self._stopped = False

    def run(self, step: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``step(*args, **kwargs)`` in a fresh process: its result, or the exception it
        raised (raised here again).

        Raises
        ------
        ChildGone : the process ended without an answer, or these children are stopped.
        """
        ctx = multiprocessing.get_context("spawn")
        receive, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(send, step, args, kwargs), name=self.name,
                           daemon=True)
        try:
            with self._lock:
                if self._stopped:
                    raise ChildGone(f"{self.name}: stopped")
                proc.start()
                self.running.add(proc)
        except BaseException:
            receive.close()
            raise
        finally:
            send.close()  # the child holds the other copy: its end is our EOF
        try:
            answer = receive.recv()
        except EOFError:
            answer = None
        finally:
            receive.close()
            proc.join(timeout=10)
            with self._lock:
                self.running.discard(proc)
        if answer is None:
            raise ChildGone(f"{self.name} ended without an answer (exit code {proc.exitcode})")
        done, value, trace = answer
        if done:
            return value  # type: ignore[no-any-return]
        value.add_note(f"In process {self.name}:\n{trace}")
        raise value

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            procs = list(self.running)
        for proc in procs:
            proc.terminate()


def fit_in_child(texts: Sequence[str], vectors: np.ndarray,
                 labels: Sequence[Sequence[str]]) -> ThemeModel | None:
    """:func:`fit_theme_model` in a process of its own: scikit-learn, scipy and pandas stay
    out of the service, and so does the fit's peak (+400 MB at 100k members, 100 MB of it
    kept by the allocator). Fitted here after all when the process dies."""
    try:
        return Children("schakel-themamodel").run(fit_theme_model, texts, vectors, labels)
    except ChildGone:
        logger.warning("theme model process stopped; fitting in the service")
        return fit_theme_model(texts, vectors, labels)


def _child(send: Any, step: Callable[..., Any], args: Any, kwargs: Any) -> None:
    """The child: one step, its result or its exception back through the pipe. A step that
    exits (or a signal) sends nothing: the parent reads EOF."""
    try:
        try:
            answer: tuple[bool, Any, str] = (True, step(*args, **kwargs), "")
        except Exception as e:  # noqa: BLE001 - raised again in the parent
            answer = _failed(e)
        try:
            send.send(answer)
        except Exception as e:  # noqa: BLE001 - a result that does not pickle
            send.send(_failed(e))
    finally:
        send.close()


def _failed(e: Exception) -> tuple[bool, Exception, str]:
    """The answer for an error: the error itself, or a RuntimeError naming it when it does
    not pickle (a class of its own arguments, say), and its traceback (pickling loses it)."""
    trace = "".join(traceback.format_exception(e)).rstrip()
    try:
        pickle.loads(pickle.dumps(e))
    except Exception:  # noqa: BLE001 - replaced by one that does
        return False, RuntimeError(f"{type(e).__name__}: {e}"), trace
    return False, e, trace
