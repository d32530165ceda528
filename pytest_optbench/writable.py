"""Where the session will write, checked before anything trains.

A results file that turns out to be a folder, or a baseline folder that cannot be written, would
otherwise be found only at the end, after the whole budget was spent.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pytest_optbench.settings import OptbenchOptions


def check_outputs(options: OptbenchOptions) -> None:
    """A usage error (exit status 4) naming the option, the path and what is wrong."""
    if options.json_path is not None:
        _file("--optbench-json", options.json_path)
        _replaceable_results("--optbench-json", options.json_path)
    if options.report_dir is not None:
        _folder("--optbench-report", options.report_dir, must_write=True)
        _own_report_folder("--optbench-report", options.report_dir, options.results_in_report)
    if options.writes_baselines:
        _folder("--optbench-baseline-dir", options.baseline_dir, must_write=True)
    elif options.baseline_dir.exists() and not options.baseline_dir.is_dir():
        _folder("--optbench-baseline-dir", options.baseline_dir, must_write=False)


def _file(option: str, path: Path) -> None:
    if path.is_dir():
        raise pytest.UsageError(f"{option}: found {path}, which is a folder; expected the path "
                                f"of a file to write, e.g. {path / 'results.json'}")
    if path.exists() and not os.access(path, os.W_OK):
        raise pytest.UsageError(f"{option}: found {path}, which cannot be written; expected a "
                                f"writable file")
    _creatable(option, path.parent, what=f"{path}")


def _folder(option: str, path: Path, must_write: bool) -> None:
    if path.exists() and not path.is_dir():
        raise pytest.UsageError(f"{option}: found {path}, which is a file; expected a folder "
                                f"(it is created when missing)")
    if must_write:
        _creatable(option, path, what=f"{path}")


def _creatable(option: str, folder: Path, what: str) -> None:
    """`folder` exists and is writable, or the nearest folder above it that exists is."""
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise pytest.UsageError(f"{option}: {what} cannot be created: {existing} is a file; "
                                f"expected a path under a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise pytest.UsageError(f"{option}: {what} cannot be written: {existing} is not "
                                f"writable by this user; expected a writable folder (check "
                                f"its permissions, or choose another path)")


def _replaceable_results(option: str, path: Path) -> None:
    """An existing file at the results path is replaced only if it is an optbench results
    file: a suite, a baseline file or anything else of the user's is left byte for byte."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise pytest.UsageError(f"{option}: {path} cannot be examined ({exc.strerror}); "
                                f"expected a new file or an earlier results file") from None
    if not stat.S_ISREG(mode):
        # A FIFO or a device: opening it could block or write somewhere else entirely.
        raise pytest.UsageError(f"{option}: found {path}, which is not a regular file; "
                                f"expected the path of a results file to write")
    from pytest_optbench.gate.results_file import results_kind

    try:
        what = results_kind(path)
    except OSError as exc:
        raise pytest.UsageError(f"{option}: {path} cannot be read ({exc.strerror}); expected "
                                f"a new file or an earlier results file") from None
    if what is not None:
        raise pytest.UsageError(
            f"{option}: {path} is {what}, which a results file would replace; expected a new "
            f"file or an earlier results file (written with --optbench-json): choose another "
            f"path, e.g. {path.with_name('optbench-results.json')}")


def _own_report_folder(option: str, folder: Path, also: frozenset[str]) -> None:
    from pytest_optbench.report.ownership import ForeignFiles, check_folder

    try:
        check_folder(folder, also)
    except ForeignFiles as exc:
        raise pytest.UsageError(f"{option}: {exc}") from None
    except OSError as exc:
        raise pytest.UsageError(f"{option}: {folder} cannot be listed ({exc.strerror}); "
                                f"expected a readable folder") from None
