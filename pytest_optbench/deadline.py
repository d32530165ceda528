"""A per-case time limit: the case fails with where it was, and the session goes on.

On POSIX, in the main thread, a real-time interval timer interrupts the case wherever it is,
even inside a step that never returns to the runner's loop. Elsewhere (Windows, a case run in a
thread) there is no safe way to interrupt Python code. Everywhere, a watchdog thread ends the
process a grace period after the limit if the case is still running (hard_stop.py): the
interrupt was caught, blocked, or never came.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import Any, Callable, Iterator

from pytest_optbench.kinds.base import CaseTrouble
from pytest_optbench.kinds.progress import PROGRESS


class CaseTimedOut(CaseTrouble):
    """The case ran past its time limit."""


def supported() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def time_limit(seconds: float | None, origin: str,
               hard_stop: Callable[[str], None] | None = None) -> Iterator[None]:
    """Raise CaseTimedOut inside the block once it has run `seconds`; `origin` names where the
    limit was set, for the message. `hard_stop(message)` is called from a watchdog thread if
    the block is still running a grace period after that (hard_stop.py): it ends the process."""
    PROGRESS.step = None
    if not seconds:
        yield
        return
    began = time.perf_counter()

    def where() -> str:
        step = PROGRESS.step
        return f" at step {step}" if step is not None else " before its first step"

    def expire(signum: int, frame: Any) -> None:
        raise CaseTimedOut(f"timed out after {seconds:g} s{where()} ({origin}); the case ran "
                           f"{time.perf_counter() - began:.1f} s")

    finished = threading.Event()
    if hard_stop is not None:
        from pytest_optbench.hard_stop import grace

        extra = grace(seconds)

        def watch() -> None:
            if not finished.wait(seconds + extra):
                hard_stop(f"did not stop within {extra:g} s after its time limit of {seconds:g} s "
                          f"({origin}){where()}: the step ignores the limit (it catches the "
                          f"timeout, blocks signals or waits in C code); the case ran "
                          f"{time.perf_counter() - began:.1f} s")

        threading.Thread(target=watch, name="optbench-hard-limit", daemon=True).start()
    # An interval timer someone else armed (pytest-timeout's signal method) is left alone:
    # arming ours would cancel it. The watchdog above still ends a case that runs on.
    alarm = supported() and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    if alarm:
        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        finished.set()
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
