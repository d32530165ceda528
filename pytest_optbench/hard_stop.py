"""The second, hard time limit: for a case that ignores its first.

The first limit (deadline.py) raises inside the case. A step that catches BaseException and
carries on, or runs with SIGALRM blocked, or sits in C code, never sees it. A watchdog thread
then waits a grace period more and ends the process the case runs in, the way pytest-timeout's
thread method does, after saying where the case was:

- in an xdist worker: it leaves a note for the controlling process and exits; xdist replaces
  the worker, the controller reports the case as failed with the note's text, and the session
  goes on with the other cases;
- in a serial run: it counts the case as an error, writes the session's results file and
  report (never baselines: the run did not finish), prints the summary and which case stopped
  the session, and exits with pytest's "interrupted" status.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import threading
import traceback
from pathlib import Path
from typing import Any

import pytest

# The folder where a worker leaves the text of its hard stop, shared with the controller
# through the environment the workers inherit.
NOTES_VARIABLE = "OPTBENCH_HARD_STOP_NOTES"


class HardTimeLimit(Exception):
    """The case ran past its time limit and the grace period after it."""


def grace(seconds: float) -> float:
    """How long after its limit a case may take to stop before the process is ended: as long
    again, at least 5 s and at most 30 s, so that it ends within twice its limit plus 30 s."""
    return min(max(seconds, 5.0), 30.0)


_CREATED = pytest.StashKey["str | None"]()


def prepare_notes(config: pytest.Config) -> None:
    """In the controlling process, before xdist starts workers (they inherit the folder's
    name through the environment): a folder for their notes. Only where workers will run: a
    serial session stops itself and needs none."""
    distributed = getattr(config.option, "numprocesses", None) or \
        getattr(config.option, "dist", "no") != "no"
    if NOTES_VARIABLE in os.environ or not distributed:
        config.stash[_CREATED] = None
        return
    folder = tempfile.mkdtemp(prefix="optbench-hard-stops-")
    os.environ[NOTES_VARIABLE] = folder
    config.stash[_CREATED] = folder


def remove_notes(config: pytest.Config) -> None:
    """The folder prepare_notes created, if it did, and its variable."""
    folder = config.stash.get(_CREATED, None)
    if folder is None:
        return
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    if os.environ.get(NOTES_VARIABLE) == folder:
        del os.environ[NOTES_VARIABLE]


def note_of(nodeid: str) -> str | None:
    """What a worker said before it ended itself while running `nodeid`, if it did."""
    folder = os.environ.get(NOTES_VARIABLE)
    if not folder:
        return None
    try:
        return _note_path(Path(folder), nodeid).read_text(encoding="utf-8")
    except OSError:
        return None


def crash_text(report: pytest.TestReport) -> str:
    """What a case that reported nothing of its own died of: its worker's note, or the last
    line of pytest's report."""
    note = note_of(report.nodeid)   # a worker that ended itself said why
    if note:
        return note
    text = str(report.longrepr or "failed").strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "failed"


def main_thread_stack() -> str:
    frame = sys._current_frames().get(threading.main_thread().ident or 0)
    if frame is None:
        return ""
    return "".join(traceback.format_stack(frame)[-12:])


def stop(item: Any, message: str) -> None:
    """End the process `item` (a CaseItem) runs in; called from the watchdog thread."""
    stack = main_thread_stack()
    capture = item.config.pluginmanager.get_plugin("capturemanager")
    if capture is not None:
        # The case's output is being captured; what follows is for the terminal.
        capture.suspend_global_capture(in_=False)
    sys.stderr.write(f"\noptbench: {item.nodeid} {message}\nwhere it was:\n{stack}\n")
    sys.stderr.flush()
    if hasattr(item.config, "workerinput"):
        folder = os.environ.get(NOTES_VARIABLE)
        if folder:
            try:
                _note_path(Path(folder), item.nodeid).write_text(message, encoding="utf-8")
            except OSError:
                pass   # the controller still reports the crash, with xdist's own words
        os._exit(int(pytest.ExitCode.TESTS_FAILED))
    try:
        _finish_serial_session(item, message)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(pytest.ExitCode.INTERRUPTED))


def _finish_serial_session(item: Any, message: str) -> None:
    from pytest_optbench.options import OPTIONS_KEY
    from pytest_optbench.run import error_result

    session = item.config.pluginmanager.get_plugin("optbench-session")
    if session is None:
        return
    options = item.config.stash[OPTIONS_KEY]
    session.cases_record().add(error_result(item.case, item.nodeid, item.suite_file, options,
                                       HardTimeLimit(message)))
    status = pytest.ExitCode.INTERRUPTED
    session.pytest_sessionfinish(item.session, status)
    reporter = item.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        session.pytest_terminal_summary(reporter, status)
        reporter.write_line(f"SESSION STOPPED by {item.nodeid}: {message}", red=True, bold=True)


def _note_path(folder: Path, nodeid: str) -> Path:
    return folder / (hashlib.sha256(nodeid.encode()).hexdigest()[:24] + ".txt")
