"""A long case's progress on the terminal, the way pytest users expect it.

- An interactive terminal: live, at the end of the case's line, redrawn every second and
  cleared before pytest writes the verdict.
- Under -v elsewhere (a CI log): a plain line every `optbench_progress_every` seconds (30 by
  default), as pytest's live logging writes its own lines.
- Never under -q, in an xdist worker (the controller prints per-test progress), or where the
  terminal reporter is off.

The runners' loops call it between steps (kinds/progress.py), so it writes from the case's own
thread, with pytest's capturing suspended for the moment of the write, as live logging does.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from pytest_optbench.kinds.progress import PROGRESS

LIVE_EVERY = 1.0        # seconds between redraws of the live text
LIVE_FIRST = 2.0        # a case shorter than this never shows any
_SAVE, _RESTORE, _CLEAR = "\x1b7", "\x1b8", "\x1b[K"


class LiveProgress:
    """For the duration of one case (a context manager)."""

    def __init__(self, config: pytest.Config, nodeid: str, every: float):
        """`every`: seconds between plain lines (optbench_progress_every)."""
        self.nodeid = nodeid
        self.reporter: Any = config.pluginmanager.get_plugin("terminalreporter")
        self.capture: Any = config.pluginmanager.get_plugin("capturemanager")
        verbosity = config.get_verbosity()
        usable = self.reporter is not None and not hasattr(config, "workerinput") \
            and verbosity >= 0
        self.live = usable and bool(getattr(self.reporter, "isatty", False)) \
            and bool(getattr(self.reporter, "hasmarkup", False))
        self.plain = usable and not self.live and verbosity > 0
        self.every = LIVE_EVERY if self.live else every
        self.drawn = False

    def __enter__(self) -> LiveProgress:
        PROGRESS.reset()
        if self.live or self.plain:
            PROGRESS.sink = self.show
            PROGRESS.due = time.perf_counter() + (LIVE_FIRST if self.live else self.every)
        return self

    def __exit__(self, *exc: Any) -> None:
        PROGRESS.sink, PROGRESS.due = None, float("inf")
        if self.drawn and self.live:
            self._write(_CLEAR)

    def show(self) -> None:
        text = PROGRESS.describe()
        PROGRESS.due = time.perf_counter() + self.every
        if self.live:
            self._write(f"{_SAVE} {text}{_CLEAR}{_RESTORE}")
        else:
            self._write_line(f"    {self.nodeid}: {text}")
        self.drawn = True

    def _suspended(self) -> Any:
        if self.capture is None:
            import contextlib

            return contextlib.nullcontext()
        return self.capture.global_and_fixture_disabled()

    def _write(self, text: str) -> None:
        with self._suspended():
            self.reporter._tw.write(text, flush=True)

    def _write_line(self, line: str) -> None:
        with self._suspended():
            self.reporter.write_line(line)
