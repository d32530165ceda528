"""A per-case time limit: the case fails with where it was, and the session goes on.

On POSIX, in the main thread, a real-time interval timer interrupts the case wherever it is,
even inside a step that never returns to the runner's loop. Elsewhere (Windows, a case run in a
thread) there is no safe way to interrupt Python code, and the limit is not applied; the
README says so.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import Any, Iterator

from pytest_optbench.kinds.base import CaseTrouble
from pytest_optbench.kinds.progress import PROGRESS


class CaseTimedOut(CaseTrouble):
    """The case ran past its time limit."""


def supported() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def time_limit(seconds: float | None, origin: str) -> Iterator[None]:
    """Raise CaseTimedOut inside the block once it has run `seconds`; `origin` names where the
    limit was set, for the message."""
    PROGRESS.step = None
    if not seconds or not supported():
        yield
        return
    began = time.perf_counter()

    def expire(signum: int, frame: Any) -> None:
        step = PROGRESS.step
        at = f" at step {step}" if step is not None else " before its first step"
        raise CaseTimedOut(f"timed out after {seconds:g} s{at} ({origin}); the case ran "
                           f"{time.perf_counter() - began:.1f} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
